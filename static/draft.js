// Puts what a coordinator typed back into the form after an expired session made them log
// in again (web/core/drafts.py keeps it). Nothing is sent: the coordinator saves again.
(function () {
  "use strict";
  var data = document.getElementById("form-draft");
  if (!data) { return; }
  var draft;
  try { draft = JSON.parse(data.textContent); } catch (e) { return; }
  var forms = Array.prototype.filter.call(document.forms, function (form) {
    return new URL(form.action, document.baseURI).pathname === draft.action;
  });
  if (!forms.length) { return; }
  var form = forms[0];
  Object.keys(draft.fields || {}).forEach(function (name) {
    var values = draft.fields[name];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name !== name) { return; }
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = values.indexOf(field.value) !== -1;
      } else if (field.tagName === "SELECT" && field.multiple) {
        Array.prototype.forEach.call(field.options, function (option) {
          option.selected = values.indexOf(option.value) !== -1;
        });
      } else if (field.type !== "hidden" && field.type !== "password" && field.type !== "submit") {
        field.value = values[0];
      }
    });
  });
  var first = form.querySelector("textarea, input:not([type=hidden])");
  if (first) { first.focus(); }
}());
