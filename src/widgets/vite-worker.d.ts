// Vite's worker import (https://vite.dev/guide/features#import-with-query-suffixes): the default
// export constructs the module's worker.
declare module '*?worker' {
  const SandboxWorker: new (options?: { name?: string }) => Worker;
  export default SandboxWorker;
}
