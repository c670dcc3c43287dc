// Progressive enhancement: every page works without this file, except that the week calendar's blocks then
// stack at the top of their day (their times stay readable in each block and in the phone-width agenda).
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
  // The week calendar: each block's place in its day comes as data attributes, since the Content-Security-Policy
  // allows no inline style attribute; styles set from a script file are allowed.
  document.querySelectorAll(".block[data-top][data-height]").forEach((block) => {
    if (block instanceof HTMLElement) {
      block.style.top = `${Number(block.dataset.top)}%`;
      block.style.height = `${Number(block.dataset.height)}%`;
    }
  });
  // The preview's "Change" button goes back to the editable form.
  document.querySelectorAll("[data-edit]").forEach((button) => {
    button.addEventListener("click", () => {
      const step = button.form && button.form.querySelector('input[name="step"]');
      if (step instanceof HTMLInputElement) {
        step.value = "edit";
      }
    });
  });
  // Copy buttons (the calendar link): shown only where a script can copy; the field stays selectable without.
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    if (!(button instanceof HTMLButtonElement) || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", () => {
      const field = document.getElementById(button.dataset.copy || "");
      const status = button.parentElement && button.parentElement.querySelector("[role=status]");
      if (!(field instanceof HTMLInputElement)) {
        return;
      }
      field.select();
      navigator.clipboard.writeText(field.value).then(() => {
        if (status) {
          status.textContent = button.dataset.copied || "";
        }
      });
    });
  });
});
