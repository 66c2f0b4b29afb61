// The library's "show the code page again" errors: not exported from its entry point, but the
// only errors its device pages answer without marking the device code as failed.
declare module 'oidc-provider/lib/helpers/re_render_errors.js' {
  export class AlreadyUsedError extends Error {
    constructor(userCode?: string);
  }
}
