/** Where `npm start` keeps its state unless told otherwise (git-ignored), and where `backup-hub audit --local` looks. */
export const DEFAULT_DATA_DIR = '.backup-hub';
