'use strict';
// serverless.yml's `resources` takes no Rules section (osls refuses it under configValidationMode:
// error), so this plugin adds the stack model's Rules (custom.hub.rules) to the template once
// `resources` has been merged in, before the template is written.
class TemplateRules {
  constructor(serverless) {
    this.hooks = {
      'after:aws:package:finalize:mergeCustomProviderResources': () => {
        const { rules } = serverless.service.custom.hub;
        if (rules) serverless.service.provider.compiledCloudFormationTemplate.Rules = rules;
      },
    };
  }
}

module.exports = TemplateRules;
