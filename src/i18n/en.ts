// Every sentence Latchkey says to people, in English, the language every other one follows.
// Keys are stable; `{{name}}` marks a parameter, `{{count, number}}` a number formatted for the
// language, and `_one`/`_other` the plural forms of a sentence (i18next's format). The other
// languages live beside this file (es.ts, de.ts, ar.ts) with the same keys.
export const en = {
  /** What every page carries: the layout and the language switcher. */
  layout: {
    languages: 'Language',
    show_password: 'Show password',
    hide_password: 'Hide password',
  },
  error: {
    invalid_input: { title: 'Check your details' },
    email_taken: {
      title: 'Email unavailable',
      message: 'That email address cannot be used for a new account.',
    },
    invalid_credentials: {
      title: 'Sign-in failed',
      message: 'The email or password is incorrect.',
    },
    too_many_attempts: {
      title: 'Too many attempts',
      message_one: 'Too many attempts. Try again in {{count, number}} minute.',
      message_other: 'Too many attempts. Try again in {{count, number}} minutes.',
    },
    hashing_busy: {
      title: 'Busy right now',
      message_one:
        'Too many sign-ins are being checked at this moment. Wait {{count, number}} second and try again.',
      message_other:
        'Too many sign-ins are being checked at this moment. Wait {{count, number}} seconds and try again.',
    },
    identity_already_linked: {
      title: 'Already linked',
      message: 'This sign-in is already linked to another account.',
    },
    last_sign_in_method: {
      title: 'Cannot remove',
      message: 'This is the only way to sign in to the account, so it cannot be removed.',
    },
    account_not_found: { title: 'Not found', message: 'The account does not exist.' },
    refused: { title: 'Request refused' },
    session_expired: {
      title: 'This page has expired',
      message:
        'This sign-in page has expired or was opened in a different browser. Go back to the application and start signing in again.',
    },
    page_not_found: {
      title: 'Page not found',
      message: 'The page you asked for does not exist.',
    },
    store_unavailable: {
      title: 'Temporarily unavailable',
      message:
        'The service is briefly unavailable. Try again in a few seconds; nothing you entered was lost.',
    },
    unstorable_value: {
      title: 'Request refused',
      message: 'The request contains a value that cannot be stored.',
    },
    provider_failed: { title: 'Something went wrong', message: 'An unexpected error occurred.' },
    server_error: {
      title: 'Something went wrong',
      message: 'An unexpected error occurred. If it keeps happening, quote the request id below.',
    },
    upstream_denied: {
      title: 'Sign-in cancelled',
      message: 'You cancelled signing in with {{upstream}}. Choose another way to sign in.',
    },
    upstream_account_not_allowed: {
      title: 'Account not allowed',
      message: 'Only {{upstream}} accounts of {{domain}} may sign in here.',
    },
    upstream_unavailable: {
      title: '{{upstream}} is unavailable',
      message:
        '{{upstream}} did not answer in time or had a problem. Try again in a few minutes, or sign in another way.',
    },
    upstream_rejected: {
      title: '{{upstream}} sign-in failed',
      message:
        'The answer from {{upstream}} could not be accepted. Try again, or sign in another way.',
    },
  },
  request: {
    method_not_allowed: '{{method}} is not supported.',
    compressed: 'Compressed request bodies are not accepted.',
    too_large: 'The request body is larger than {{limit}} bytes.',
    already_read: 'The request body was already read.',
    cut_off: 'The request body was cut off.',
    not_utf8: 'The request body is not valid UTF-8.',
    field_repeated: 'The field "{{field}}" was sent more than once.',
    field_too_long: 'The field "{{field}}" is too long.',
    field_control: 'The field "{{field}}" contains control characters.',
    form_only: 'This form only accepts application/x-www-form-urlencoded bodies.',
    json_only: 'Send the body as application/json.',
    json_invalid: 'The request body is not valid JSON.',
    json_not_object: 'The request body must be a JSON object.',
    json_control: '"{{field}}" contains control characters.',
    cross_site: 'This form was submitted from another site and was refused.',
    form_expired: 'This form has expired or was not sent from this site. Go back and try again.',
    account_form_expired:
      'This form has expired or was not sent from this site. Reload the page and try again.',
  },
  api: {
    token_required: 'A bearer access token is required.',
    malformed_header: 'Malformed Authorization header',
    token_invalid: 'The access token is invalid or has expired',
    wrong_audience: 'The access token was not issued for this API',
    sender_constrained: 'Sender-constrained tokens are not accepted here',
    not_first_party: 'The access token was not issued to a first-party application',
    token_revoked: 'The access token has been revoked',
    account_gone: 'The account no longer exists',
    scope_needed: 'The access token needs scope "{{scope}}".',
    unknown_fields: 'Unknown field(s): {{fields}}.',
    name_type: '"name" must be a string.',
    picture_type: '"picture" must be a string or null.',
  },
  /** error_description of a refused code or refresh token at the token endpoint. */
  token: {
    code_expired:
      'The authorization code has expired (codes are valid for 60 seconds). Start the sign-in again.',
    code_used:
      'The authorization code was already used; a code can be exchanged once only, and its tokens were revoked.',
    code_unknown:
      'The authorization code is unknown: it was never issued, has expired, or its grant was revoked.',
    refresh_expired: 'The refresh token has expired. Sign in again.',
    refresh_used:
      'The refresh token was already used; each refresh returns a new one, and reuse revokes the grant.',
    refresh_unknown:
      'The refresh token is unknown: it was never issued, has expired, or its grant was revoked.',
  },
  interaction: {
    step_done: 'This step of signing in is already done. Go back to the application.',
    step_unsupported: 'This sign-in step is not supported.',
    choose_decision: 'Choose whether to allow or deny access.',
    upstream_not_enabled: 'This sign-in provider is not enabled.',
    upstream_unreachable:
      '{{upstream}} cannot be reached right now. Try again in a few minutes, or sign in another way.',
    back_to_sign_in: 'Back to sign-in',
  },
  /** Pieces several pages share. */
  common: {
    to_continue: 'to continue to <strong>{{client}}</strong>',
    email: 'Email',
    password: 'Password',
    password_hint: 'At least {{min}} characters. A long passphrase is best.',
    or: 'or',
    cancel: 'Cancel and return to the application',
    fix_these: 'Please fix the following:',
  },
  login: {
    title: 'Sign in',
    remember: 'Keep me signed in on this device',
    submit: 'Sign in',
    new_here: 'New here?',
    create_account: 'Create an account',
    own_lede: 'to see and manage your {{product}} account',
    own_cancel: 'Cancel and return to the account page',
    missing: 'Enter your email and password.',
    confirm: "Sign in again to confirm it's you.",
    state_mismatch: 'That {{upstream}} sign-in could not be verified. Please try again.',
  },
  signup: {
    title: 'Create your account',
    name: 'Name',
    submit: 'Create account',
    have_account: 'Already have an account?',
    sign_in: 'Sign in',
    email_taken:
      'That email address cannot be used for a new account. If it is yours, sign in instead.',
    too_many: 'Too many accounts were created from your network. Try again later.',
  },
  consent: {
    title: 'Allow access',
    heading: 'Allow access?',
    would_like: '<strong>{{client}}</strong> would like to:',
    learn_more:
      'Learn more about this application at <a href="{{url}}" rel="noopener noreferrer">{{url}}</a>.',
    allow: 'Allow',
    deny: 'Deny',
    remembered: 'You can change your mind later; your choice is remembered for this application.',
  },
  /** What the consent page says each permission allows: reading is "see", writing says "change". */
  scope: {
    openid: 'Know who you are on this service (a stable account identifier)',
    profile: 'See your name and profile picture',
    email: 'See your email address',
    offline_access: 'Keep access while you are not using the application',
    unknown: 'Use the "{{scope}}" permission',
    api_profile: 'See and change your name and profile picture through your {{product}} account',
    api_email: 'See your email address through your {{product}} account',
    resource:
      'Use the "{{scope}}" permission at {{resource}}, which may include changing data there',
  },
  logout: {
    title: 'Sign out',
    heading: 'Sign out?',
    asked_by: '<strong>{{client}}</strong> asked to sign you out of {{product}}.',
    about_to: 'You are about to sign out of {{product}}.',
    explain:
      'Signing out ends your session here, so applications that use {{product}} will ask you to sign in again.',
    confirm: 'Yes, sign me out',
    stay: 'No, stay signed in',
    auto_heading: 'Signing you out…',
    auto_button: 'Sign out',
  },
  logged_out: {
    title: 'Signed out',
    heading: 'You are signed out',
    from_client: 'You signed out of {{product}} from <strong>{{client}}</strong>.',
    done: 'You signed out of {{product}}.',
    close: 'You can close this window.',
  },
  /** The error page around any message. */
  error_page: {
    details: 'Details: {{detail}}',
    go_back: 'Go back',
    status: 'Error {{status}}',
    status_code: 'Error {{status}} ({{code}})',
    request_id: 'request id',
  },
  /** The provider's own error page, by OAuth error code. */
  oidc: {
    title: 'Sign-in could not continue',
    fallback: 'The sign-in request could not be completed.',
    reason: {
      invalid_request: 'The application sent an invalid sign-in request.',
      invalid_client: 'The application is not registered with this sign-in service.',
      invalid_redirect_uri: 'The application asked to return to an address it has not registered.',
      unauthorized_client: 'The application is not allowed to make this request.',
      invalid_scope: 'The application asked for access that is not available.',
      access_denied: 'Access was denied.',
      server_error: 'Something went wrong on our side.',
    },
  },
  link: {
    title: 'Link your account',
    heading: 'Link {{upstream}} to your account',
    explain:
      'An account already uses <strong>{{email}}</strong>. To sign in to it with {{upstream}} from now on, first prove it is yours by signing in to it.',
    password: 'Password of that account',
    submit: 'Sign in to that account and link',
    others: 'Or, if that account signs in through one of these, continue with it:',
    separate: 'Create a separate account without this email',
    back: 'Back to sign-in',
    wrong_password: 'That password does not sign in to that account.',
    already_linked:
      'This sign-in is already linked to another account. Sign in with that account instead.',
  },
  callback: {
    expired_title: 'This sign-in has expired',
    expired:
      'This {{upstream}} sign-in is unknown, expired or already used. Go back to the application and start signing in again.',
  },
  account: {
    title: 'Your account',
    signed_out_lede: 'Sign in to see your profile and how you sign in.',
    sign_in: 'Sign in or create an account',
    heading: 'Your account',
    reauth_title: "Confirm it's you to continue",
    reauth_explain:
      'You signed in a while ago, so nothing was changed. Sign in again, then make the change once more.',
    sign_in_again: 'Sign in again',
    no_name: 'No name',
    verified: 'verified',
    not_verified_email: 'not verified',
    methods: 'How you sign in',
    password_label: 'Password',
    password_set: 'set',
    password_not_set: 'not set',
    remove: 'Remove',
    only_way: '(your only way to sign in)',
    change_password_heading: 'Change your password',
    set_password_heading: 'Set a password',
    current_password: 'Current password',
    new_password: 'New password',
    change_password: 'Change password',
    set_password: 'Set password',
    no_email:
      'This account has no email address, so it signs in through its linked providers only.',
    sign_out: 'Sign out',
    switched: 'You are now signed in as {{who}}. Nothing was changed.',
    another_account: 'another account',
    reauth_password: 'You signed in again. You can now change your password.',
    reauth_methods: 'You signed in again. You can now add or remove a sign-in method.',
    not_verified: 'That sign-in could not be verified. Please sign in again.',
    cancelled: 'Sign-in was cancelled.',
    password_too_long: 'That password is too long.',
    wrong_password: 'Your current password is incorrect.',
    password_saved: 'Your password was saved.',
    only_method: 'This is your only way to sign in, so it cannot be removed.',
    method_not_linked: 'That sign-in method is not linked to your account.',
    signed_out: 'You are signed out of {{product}}.',
    email_unverified:
      'Not verified: {{product}} cannot send email yet, so it has no way to check this address. Verifying by email will come when {{product}} sends email.',
    profile: {
      heading: 'Your profile',
      name: 'Name',
      picture: 'Picture URL',
      picture_hint: 'The https address of an image. Leave it empty for no picture.',
      save: 'Save profile',
      saved: 'Your profile was saved.',
    },
    link: {
      heading: 'Add a way to sign in',
      button: 'Link {{upstream}}',
      linked: '{{upstream}} is now linked: you can sign in with it.',
      cancelled: 'Linking {{upstream}} was cancelled. Nothing was changed.',
      already_linked:
        'That {{upstream}} account is already linked to another {{product}} account, so it was not linked to this one.',
      expired:
        'That {{upstream}} link could not be verified: it expired, was already used, or was started in another session. Nothing was changed.',
    },
  },
  /** The operator's product name, support address and legal links, and the upstream buttons. */
  brand: {
    page_title: '{{title}} · {{product}}',
    sign_in_heading: 'Sign in to {{product}}',
    sign_up_heading: 'Create your {{product}} account',
    account_heading: 'Your {{product}} account',
    /** The account page's own client, as the sign-in page names it ("to continue to ..."). */
    account_client: '{{product}} account',
    help: 'Need help? Write to {{email}}.',
    terms: 'Terms of Service',
    privacy: 'Privacy Policy',
    agree_both: 'By creating an account you agree to the {{terms}} and the {{privacy}}.',
    agree_terms: 'By creating an account you agree to the {{terms}}.',
    agree_privacy: 'By creating an account you agree to the {{privacy}}.',
    client_policy: 'privacy policy',
    client_tos: 'terms of service',
    client_both: "Read {{client}}'s {{policy}} and {{tos}}.",
    client_policy_only: "Read {{client}}'s {{policy}}.",
    client_tos_only: "Read {{client}}'s {{tos}}.",
    button: {
      sign_in_with: 'Sign in with {{upstream}}',
      continue_with: 'Continue with {{upstream}}',
    },
  },
  /** Why a typed value was refused, by the account rules' problem codes (src/accounts/errors.ts). */
  field: {
    email: {
      missing: 'Enter your email address.',
      too_long: 'Email addresses can be at most {{max}} characters.',
      invalid: 'Enter a valid email address, like name@example.com.',
    },
    name: {
      missing: 'Enter your name.',
      too_long: 'Names can be at most {{max}} characters.',
      control: 'Names cannot contain control characters.',
    },
    picture: {
      too_long: 'Picture URLs can be at most {{max}} characters.',
      not_https: 'The picture must be an https URL.',
    },
    password: {
      too_short: 'Use at least {{min}} characters.',
      too_long:
        'Use at most {{max}} bytes (about {{max}} letters, fewer with accents or emoji); longer passwords cannot be stored safely.',
      common: 'This password is one of the most commonly used; choose another.',
      is_email: 'Your password must not be your email address.',
      needs_email: 'Add an email address before setting a password.',
    },
  },
  cli: {
    email_taken: 'An account with the email {{email}} already exists.',
    account_not_found: 'No such account.',
    invalid_field: 'Invalid {{field}}: {{problem}}',
  },
} as const;

export type Catalogue = typeof en;
