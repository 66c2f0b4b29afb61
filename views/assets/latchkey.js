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
    button.setAttribute('aria-controls', input.id);
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', () => {
      const show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      button.textContent = show ? hideLabel : showLabel;
      button.setAttribute('aria-pressed', String(show));
    });
    input.insertAdjacentElement('afterend', button);
  }
  // Prevent double submission while a form is on its way.
  for (const form of document.querySelectorAll('form')) {
    form.addEventListener('submit', () => {
      setTimeout(() => {
        for (const b of form.querySelectorAll('button[type="submit"]')) b.disabled = true;
      }, 0);
    });
  }
});
