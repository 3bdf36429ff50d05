// Vite's worker import (https://vite.dev/guide/features#import-with-query-suffixes): with `&url`,
// the default export is the URL of the worker's script (a classic script: worker.format 'iife').
declare module '*?worker&url' {
  const url: string;
  export default url;
}
