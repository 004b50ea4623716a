// Upload progress for file forms (e.g. a roster of 200,000 rows): an enhancement only — without
// JavaScript the form posts as usual. The bytes sent show as a bar; then, while the server checks
// every row, a note says so; the answer (preview or refusal) replaces the page as a normal post would.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[enctype='multipart/form-data'][data-sending]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.FormData || !window.XMLHttpRequest) { return; }
      ev.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var bar = document.createElement("progress");
      var note = document.createElement("p");
      bar.max = 100; bar.value = 0;
      note.className = "hint"; note.setAttribute("role", "status");
      note.textContent = form.dataset.sending;
      form.appendChild(bar); form.appendChild(note);
      if (button) { button.disabled = true; }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round(e.loaded * 100 / e.total);
          note.textContent = form.dataset.sending + " " + bar.value + "%";
        }
      };
      xhr.upload.onload = function () {
        bar.removeAttribute("value");
        note.textContent = form.dataset.checking;
      };
      xhr.onload = function () {
        if (xhr.responseURL) { history.replaceState(null, "", xhr.responseURL); }
        document.open(); document.write(xhr.responseText); document.close();
      };
      xhr.onerror = function () {
        // The network failed: fall back to the plain post, which shows the browser's own error.
        if (button) { button.disabled = false; }
        form.submit();
      };
      xhr.send(new FormData(form));
    });
  });
})();
