// Progressive enhancement only: every page works without this script.
document.addEventListener('DOMContentLoaded', () => {
  // A "Show" toggle next to password fields.
  for (const input of document.querySelectorAll('input[data-reveal]')) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'reveal';
    button.textContent = 'Show password';
    button.setAttribute('aria-controls', input.id);
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', () => {
      const show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      button.textContent = show ? 'Hide password' : 'Show password';
      button.setAttribute('aria-pressed', String(show));
    });
    input.insertAdjacentElement('afterend', button);
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
