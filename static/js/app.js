// Progressive enhancement only: every page works without this file.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
    el.form.submit();
  }
});

// Move focus to the error summary or the booking preview so screen readers announce it.
document.addEventListener("DOMContentLoaded", () => {
  const target = document.querySelector("[data-focus-on-load]");
  if (target instanceof HTMLElement) {
    target.focus();
  }
  // A queued or running job: reload until it has finished.
  const refresh = document.querySelector("[data-autorefresh]");
  if (refresh instanceof HTMLElement) {
    const seconds = Number(refresh.dataset.autorefresh) || 5;
    window.setTimeout(() => window.location.reload(), seconds * 1000);
  }
  // The preview's "Change" button goes back to the editable form.
  document.querySelectorAll("[data-edit]").forEach((button) => {
    button.addEventListener("click", () => {
      const step = button.form && button.form.querySelector('input[name="step"]');
      if (step instanceof HTMLInputElement) {
        step.value = "edit";
      }
    });
  });
});
