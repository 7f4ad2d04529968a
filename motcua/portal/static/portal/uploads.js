/* Large files of the submission form go through the resumable upload endpoint (tus 1.0, /api/v1/uploads) with a
 * progress bar, and resume after a dropped connection (the offset is asked again with HEAD). Once stored, a file
 * becomes a hidden `keep.<component>` field of the form, as a file kept from an earlier attempt, and leaves the file
 * input. Without JavaScript (or without XMLHttpRequest upload events) the form posts the files itself, as before.
 * No library, no CDN: plain DOM and XMLHttpRequest. */
(function () {
  "use strict";

  var config = document.querySelector("[data-tus-endpoint]");
  if (!config || !window.XMLHttpRequest || !window.DataTransfer || !window.FormData) return;
  var endpoint = config.getAttribute("data-tus-endpoint");
  var threshold = parseInt(config.getAttribute("data-tus-threshold"), 10) || 0;
  var chunkSize = parseInt(config.getAttribute("data-tus-chunk"), 10) || 8 * 1024 * 1024;
  var procedure = config.getAttribute("data-tus-procedure") || "";
  var text = function (key) { return config.getAttribute("data-msg-" + key) || key; };
  var pending = 0;

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function b64(value) {
    var bytes = new TextEncoder().encode(value), binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }

  function request(method, url, headers, body, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url, true);
      xhr.setRequestHeader("Tus-Resumable", "1.0.0");
      Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      if (onProgress && xhr.upload) {
        xhr.upload.onprogress = function (event) { if (event.lengthComputable) onProgress(event.loaded); };
      }
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { resolve(null); };  // null: no answer (network)
      xhr.send(body || null);
    });
  }

  function errorText(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      var first = (body.errors || [])[0];
      return first ? first.message : body.message;
    } catch (e) {
      return text("failed") + " (HTTP " + xhr.status + ")";
    }
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function row(input, file) {
    var item = document.createElement("div");
    item.className = "tus-upload";
    item.setAttribute("data-testid", "tus-upload");
    var label = document.createElement("span");
    label.className = "tus-name";
    label.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = file.size;
    bar.value = 0;
    bar.setAttribute("aria-label", text("uploading") + " " + file.name);
    var state = document.createElement("span");
    state.className = "tus-state";
    state.setAttribute("role", "status");
    state.setAttribute("aria-live", "polite");
    item.appendChild(label);
    item.appendChild(bar);
    item.appendChild(state);
    input.parentNode.insertBefore(item, input.nextSibling);
    return {item: item, bar: bar, state: state};
  }

  function show(view, offset, size) {
    view.bar.value = offset;
    view.state.textContent = text("uploading") + " " + Math.floor(100 * offset / size) + "%";
  }

  async function upload(form, input, component, file) {
    var view = row(input, file);
    var headers = {"X-CSRFToken": csrfToken(form)};
    var metadata = "filename " + b64(file.name) + ",filetype " + b64(file.type || "");
    if (procedure) metadata += ",procedure " + b64(procedure) + ",component " + b64(component);
    var created = await request("POST", endpoint, Object.assign({
      "Upload-Length": String(file.size), "Upload-Metadata": metadata}, headers));
    if (!created || created.status !== 201) {
      view.state.textContent = created ? errorText(created) : text("failed");
      view.item.classList.add("has-error");
      return null;
    }
    var location = created.getResponseHeader("Location");
    var offset = 0, failures = 0, fileId = null;
    while (fileId === null) {
      var end = Math.min(offset + chunkSize, file.size);
      var start = offset;
      var answer = await request("PATCH", location, Object.assign({
        "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream"}, headers),
        file.slice(offset, end), function (loaded) { show(view, start + loaded, file.size); });
      if (answer && answer.status === 204) {
        failures = 0;
        offset = parseInt(answer.getResponseHeader("Upload-Offset"), 10);
        fileId = answer.getResponseHeader("Upload-File-Id");
        show(view, offset, file.size);
        continue;
      }
      if (answer && answer.status >= 400 && answer.status < 500 && answer.status !== 409 && answer.status !== 423) {
        view.state.textContent = errorText(answer);  // a rule broken: the server deleted the upload
        view.item.classList.add("has-error");
        return null;
      }
      // No answer, a 5xx, or an offset that moved: wait, ask the server where it is, and go on from there.
      failures += 1;
      if (failures > 30) {
        view.state.textContent = text("failed");
        view.item.classList.add("has-error");
        return null;
      }
      view.state.textContent = text("retry");
      await wait(Math.min(30000, 500 * Math.pow(2, Math.min(failures, 6))));
      var head = await request("HEAD", location, headers);
      if (head && head.status === 200) {
        offset = parseInt(head.getResponseHeader("Upload-Offset"), 10);
        fileId = head.getResponseHeader("Upload-File-Id");
      } else if (head && head.status === 404) {
        view.state.textContent = text("failed");
        view.item.classList.add("has-error");
        return null;
      }
    }
    view.bar.value = file.size;
    view.state.textContent = text("done");
    view.item.classList.add("done");
    return fileId;
  }

  function keep(input, component, fileId) {
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "keep." + component;
    hidden.value = fileId;
    input.parentNode.appendChild(hidden);
    input.removeAttribute("required");  // the component has its file now
  }

  function onChange(event) {
    var input = event.target;
    var form = input.form;
    var component = input.name.slice("comp.".length);
    var big = [], small = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (file) {
      if (file.size >= threshold) big.push(file); else small.items.add(file);
    });
    if (!big.length) return;
    input.files = small.files;  // the small ones still go with the form
    big.forEach(function (file) {
      pending += 1;
      upload(form, input, component, file).then(function (fileId) {
        if (fileId) keep(input, component, fileId);
      }).finally(function () { pending -= 1; });
    });
  }

  document.querySelectorAll("input[type=file][name^='comp.']").forEach(function (input) {
    input.addEventListener("change", onChange);
    if (input.form && !input.form.hasAttribute("data-tus-guard")) {
      input.form.setAttribute("data-tus-guard", "");
      input.form.addEventListener("submit", function (event) {
        if (pending > 0) {
          event.preventDefault();
          window.alert(text("wait"));
        }
      });
    }
  });
})();
