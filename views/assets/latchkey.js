// Progressive enhancement only: every page works without this script.
document.addEventListener('DOMContentLoaded', () => {
  // A "Show" toggle next to password fields, worded in the page's language (see layout.ejs).
  const words = document.body.dataset;
  const showLabel = words.showPassword ?? 'Show password';
  const hideLabel = words.hidePassword ?? 'Hide password';
  for (const input of document.querySelectorAll('input[data-reveal]')) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'reveal';
    button.textContent = showLabel;
    // The label says what a press does next; aria-pressed as well would announce the state twice.
    button.setAttribute('aria-controls', input.id);
    button.addEventListener('click', () => {
      const show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      button.textContent = show ? hideLabel : showLabel;
    });
    input.insertAdjacentElement('afterend', button);
  }
  // A form shown again with errors: the focus goes to the error summary (or the invalid field),
  // so a screen reader reads the problem first and the keyboard starts there.
  const problem = document.querySelector('.alert[role="alert"], [aria-invalid="true"]');
  if (problem) problem.focus();
  // "Forgot your password?" takes the address typed so far to the next page.
  const forgot = document.querySelector('a[data-carry-email]');
  const typed = document.getElementById('email');
  if (forgot && typed) {
    forgot.addEventListener('click', () => {
      const url = new URL(forgot.href);
      if (typed.value.trim()) url.searchParams.set('email', typed.value.trim());
      forgot.href = url.toString();
    });
  }
  // Signing out from the account page: the person already chose to, so the form goes at once.
  document.querySelector('button[data-autosubmit]')?.click();
  // Prevent double submission while a form is on its way.
  for (const form of document.querySelectorAll('form')) {
    form.addEventListener('submit', () => {
      setTimeout(() => {
        for (const b of form.querySelectorAll('button[type="submit"]')) b.disabled = true;
      }, 0);
    });
  }
});
