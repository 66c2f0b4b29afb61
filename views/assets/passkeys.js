// Passkeys on the sign-in, sign-up and account pages, through the SimpleWebAuthn browser helper
// (webauthn.js, loaded just before). Browsers without WebAuthn keep the passkey controls hidden
// and everything else works as before.
(() => {
  const lib = window.SimpleWebAuthnBrowser;

  function start() {
    const supported = Boolean(lib?.browserSupportsWebAuthn());
    for (const el of document.querySelectorAll(
      supported ? '[data-passkey]' : '[data-passkey-unsupported]',
    )) {
      el.hidden = false;
    }
    if (!supported) return;
    signIn(document.querySelector('form[data-passkey-sign-in]'));
    create(document.querySelector('form[data-passkey-create]'));
  }

  /** Says what went wrong in the form's live region, in the page's words. */
  function say(form, error) {
    const status = form.querySelector('[data-passkey-status]');
    if (!status) return;
    const words = form.dataset;
    const cancelled = error?.name === 'NotAllowedError' || error?.name === 'AbortError';
    const exists = error?.name === 'InvalidStateError';
    status.textContent = exists ? words.exists : cancelled ? words.cancelled : words.failed;
  }

  /** The button, and passkeys offered in the email field's autofill (conditional mediation). */
  function signIn(form) {
    if (!form) return;
    const csrf = form.querySelector('input[name="csrf"]').value;
    const options = async () => {
      const response = await fetch(form.dataset.options, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ csrf }),
        credentials: 'same-origin',
      });
      if (!response.ok) throw new Error(`options answered ${response.status}`);
      return response.json();
    };
    const send = (credential) => {
      form.querySelector('input[name="credential"]').value = JSON.stringify(credential);
      const keep = document.querySelector('input[type="checkbox"][name="remember"]');
      form.querySelector('input[name="remember"]').value = keep && !keep.checked ? 'no' : 'yes';
      form.submit();
    };
    form.querySelector('button[data-passkey-start]').addEventListener('click', async (event) => {
      event.preventDefault();
      try {
        send(await lib.startAuthentication({ optionsJSON: await options() }));
      } catch (error) {
        say(form, error);
      }
    });
    lib.browserSupportsWebAuthnAutofill().then(async (autofill) => {
      if (!autofill || !document.querySelector('input[autocomplete~="webauthn"]')) return;
      try {
        send(
          await lib.startAuthentication({ optionsJSON: await options(), useBrowserAutofill: true }),
        );
      } catch {
        // Cancelled, or replaced by the button's own ceremony: nothing to say.
      }
    });
  }

  /** Creating a passkey (account page, passkey-only sign-up) with the options in the page. */
  function create(form) {
    if (!form) return;
    form.querySelector('button[data-passkey-start]').addEventListener('click', async (event) => {
      event.preventDefault();
      try {
        const optionsJSON = JSON.parse(form.dataset.options);
        const credential = await lib.startRegistration({ optionsJSON });
        form.querySelector('input[name="credential"]').value = JSON.stringify(credential);
        form.submit();
      } catch (error) {
        say(form, error);
      }
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
