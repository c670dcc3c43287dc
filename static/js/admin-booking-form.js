// The admin's "add booking" form: the member list offers only the members of the chosen project.
// (The booking service refuses anyone else all the same: this only saves a round trip.)
"use strict";
(function () {
  function filterMembers() {
    const project = document.getElementById("id_project");
    const member = document.getElementById("id_user");
    if (!project || !member) {
      return;
    }
    const chosen = project.value;
    for (const group of member.querySelectorAll("optgroup")) {
      let any = false;
      for (const option of group.querySelectorAll("option")) {
        const mine = !chosen || option.dataset.project === chosen;
        option.hidden = !mine;
        option.disabled = !mine;
        any = any || mine;
      }
      group.hidden = !any;
    }
    const selected = member.selectedOptions[0];
    if (selected && selected.disabled) {
      member.value = "";
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    const project = document.getElementById("id_project");
    if (project) {
      project.addEventListener("change", filterMembers);
      filterMembers();
    }
  });
})();
