/*
 * The rule editor of a rule-based group: conditions and nested groups of
 * conditions, each group with its own "all" or "any".
 *
 * Replaces the form's flat condition rows (kept for browsers without
 * scripts) and writes the whole rule as JSON into the hidden "rule_json"
 * field on every change, so the live preview and saving read the same rule.
 * Every control is a labelled native control or button (keyboard works as
 * everywhere); after adding or removing, focus moves to the new condition or
 * back to the group. A problem the server reports (on save, or from the
 * preview) is shown next to the condition it concerns.
 */
(function () {
  "use strict";

  var configNode = document.getElementById("rule-editor-config");
  var form = document.getElementById("group_form");
  if (!configNode || !form) {
    return;
  }
  var hidden = form.querySelector("[name=rule_json]");
  var fieldset = form.querySelector("fieldset.rule-editor");
  if (!hidden || !fieldset) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var kind = form.querySelector("[name=kind]");
  var attributes = {};
  config.attributes.forEach(function (a) { attributes[a.name] = a; });
  var state = normalise(config.rule, 1);
  var error = null;
  var INPUT = "border border-base-200 bg-white font-medium px-3 py-2 rounded-default " +
    "shadow-xs text-sm dark:bg-base-900 dark:border-base-700";
  var BUTTON = "border border-base-200 px-3 py-2 rounded-default text-sm " +
    "dark:border-base-700";

  // The flat rows give way to the editor.
  var rows = fieldset.querySelector(".form-rows");
  if (rows) {
    rows.hidden = true;
  }
  var root = document.createElement("div");
  root.id = "rule-editor";
  root.className = "px-3 pb-3";
  fieldset.appendChild(root);

  function normalise(node, depth) {
    if (!node || typeof node !== "object") {
      return { match: "all", conditions: [] };
    }
    var out = { match: node.match === "any" ? "any" : "all", conditions: [] };
    (Array.isArray(node.conditions) ? node.conditions : []).forEach(function (c) {
      if (c && typeof c === "object" && ("conditions" in c || "match" in c)) {
        out.conditions.push(normalise(c, depth + 1));
      } else if (c && typeof c === "object") {
        out.conditions.push({
          attribute: c.attribute || "",
          operator: c.operator || "",
          value: c.value === undefined || c.value === null ? "" : c.value
        });
      }
    });
    return out;
  }

  function isGroup(node) {
    return Array.isArray(node.conditions);
  }

  function countConditions(node) {
    return node.conditions.reduce(function (n, c) {
      return n + (isGroup(c) ? countConditions(c) : 1);
    }, 0);
  }

  function at(path) {
    var node = state;
    path.forEach(function (i) { node = node.conditions[i]; });
    return node;
  }

  function key(path) {
    return "rule-" + (path.length ? path.join("-") : "root");
  }

  function samePath(a, b) {
    return a && b && a.length === b.length && a.every(function (v, i) { return v === b[i]; });
  }

  // What is sent leaves out conditions with no attribute chosen yet and
  // empty groups (as the flat rows do); ``pathMap`` turns the server's path
  // of a problem (in what was sent) back into a path in the editor.
  var pathMap = {};

  function serialise(node, statePath, sentPath, map) {
    var out = { match: node.match, conditions: [] };
    map[sentPath.join(".")] = statePath;
    node.conditions.forEach(function (c, i) {
      var childPath = statePath.concat([i]);
      var sentChild = sentPath.concat([out.conditions.length]);
      if (isGroup(c)) {
        var sub = serialise(c, childPath, sentChild, map);
        if (sub.conditions.length) {
          out.conditions.push(sub);
        }
      } else if (c.attribute) {
        map[sentChild.join(".")] = childPath;
        out.conditions.push({ attribute: c.attribute, operator: c.operator, value: c.value });
      }
    });
    return out;
  }

  function save() {
    var map = {};
    hidden.value = JSON.stringify(serialise(state, [], [], map));
    pathMap = map;
  }

  function editorPath(sentPath) {
    return pathMap[(sentPath || []).join(".")] || [];
  }

  function changed() {
    save();
    hidden.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) {
      el.className = className;
    }
    if (text) {
      el.textContent = text;
    }
    return el;
  }

  function labelled(id, text, control) {
    var wrap = element("div", "flex flex-col gap-1");
    var label = element("label", "font-semibold text-sm", text);
    label.htmlFor = id;
    control.id = id;
    wrap.appendChild(label);
    wrap.appendChild(control);
    return wrap;
  }

  function option(value, text, selected) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    o.selected = selected;
    return o;
  }

  function button(text, name, onClick) {
    var b = element("button", BUTTON, text);
    b.type = "button";
    b.setAttribute("data-rule-action", name);
    b.addEventListener("click", onClick);
    return b;
  }

  function errorFor(path, controls) {
    if (!error || !samePath(error.path, path)) {
      return null;
    }
    var p = element("p", "text-red-600 text-sm dark:text-red-500", error.message);
    p.id = key(path) + "-error";
    p.setAttribute("role", "alert");
    p.setAttribute("data-rule-error", "");
    controls.forEach(function (c) {
      c.setAttribute("aria-invalid", "true");
      c.setAttribute("aria-describedby", p.id);
    });
    return p;
  }

  function valueText(value) {
    return Array.isArray(value) ? value.join(", ") : String(value);
  }

  function renderCondition(node, path, number) {
    var id = key(path);
    var box = element("div", "border border-base-200 flex flex-col gap-2 p-3 rounded-default " +
      "dark:border-base-800");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Condition " + number);
    box.setAttribute("data-rule-condition", path.join("."));
    var line = element("div", "flex flex-wrap gap-3 items-end");

    var attribute = element("select", INPUT);
    attribute.appendChild(option("", "Choose…", !node.attribute));
    config.attributes.forEach(function (a) {
      attribute.appendChild(option(a.name, a.label, a.name === node.attribute));
    });
    var allowed = node.attribute && attributes[node.attribute]
      ? attributes[node.attribute].operators : [];
    if (node.attribute && allowed.indexOf(node.operator) < 0) {
      node.operator = allowed[0] || "";
    }
    var operator = element("select", INPUT);
    allowed.forEach(function (o) {
      operator.appendChild(option(o, config.operators[o] || o, o === node.operator));
    });
    operator.disabled = !allowed.length;
    var value = element("input", INPUT);
    value.type = node.attribute === "start_date" ? "date" : "text";
    value.value = valueText(node.value);
    var hint = "";
    if (node.operator === "in") {
      hint = "Separate values with commas.";
    } else if (node.attribute === "manager" || node.attribute === "reports_to") {
      hint = "Their email or id.";
    }

    attribute.addEventListener("change", function () {
      node.attribute = attribute.value;
      var ops = attributes[node.attribute] ? attributes[node.attribute].operators : [];
      node.operator = ops[0] || "";
      if (node.attribute === "start_date" || node.operator === "in") {
        node.value = "";
      }
      render(path.concat(["attribute"]));
      changed();
    });
    operator.addEventListener("change", function () {
      node.operator = operator.value;
      node.value = node.operator === "in"
        ? splitValues(valueText(node.value)) : valueText(node.value);
      render(path.concat(["operator"]));
      changed();
    });
    value.addEventListener("input", function () {
      node.value = node.operator === "in" ? splitValues(value.value) : value.value;
      save();
    });

    line.appendChild(labelled(id + "-attribute", "Attribute", attribute));
    line.appendChild(labelled(id + "-operator", "Operator", operator));
    var valueBox = labelled(id + "-value", "Value", value);
    if (hint) {
      var help = element("p", "text-xs", hint);
      help.id = id + "-hint";
      value.setAttribute("aria-describedby", help.id);
      valueBox.appendChild(help);
    }
    line.appendChild(valueBox);
    var remove = button("Remove condition", "remove-condition", function () {
      var parentPath = path.slice(0, -1);
      at(parentPath).conditions.splice(path[path.length - 1], 1);
      error = null;
      render(parentPath.concat(["add-condition"]));
      changed();
    });
    remove.setAttribute("aria-label", "Remove condition " + number);
    line.appendChild(remove);
    box.appendChild(line);
    var problem = errorFor(path, [attribute, operator, value]);
    if (problem) {
      box.appendChild(problem);
    }
    return box;
  }

  function splitValues(text) {
    return text.split(",").map(function (v) { return v.trim(); }).filter(Boolean);
  }

  function renderGroup(node, path, depth, number) {
    var id = key(path);
    var box = element("fieldset", "border border-base-200 flex flex-col gap-3 p-3 " +
      "rounded-default dark:border-base-800");
    box.setAttribute("data-rule-group", path.join("."));
    var legend = element("legend", "font-semibold px-1",
      depth === 1 ? "Members match" : "Group of conditions " + number);
    box.appendChild(legend);

    var match = element("select", INPUT);
    match.appendChild(option("all", "all of these conditions", node.match === "all"));
    match.appendChild(option("any", "any of these conditions", node.match === "any"));
    match.addEventListener("change", function () {
      node.match = match.value;
      changed();
    });
    box.appendChild(labelled(id + "-match", depth === 1 ? "People who match" :
      "This group matches", match));

    var list = element("div", "flex flex-col gap-3 pl-4");
    var conditionNumber = 0;
    var groupNumber = 0;
    node.conditions.forEach(function (child, i) {
      var childPath = path.concat([i]);
      if (isGroup(child)) {
        groupNumber += 1;
        list.appendChild(renderGroup(child, childPath, depth + 1, groupNumber));
      } else {
        conditionNumber += 1;
        list.appendChild(renderCondition(child, childPath, conditionNumber));
      }
    });
    if (!node.conditions.length) {
      list.appendChild(element("p", "text-sm", "No conditions yet: add one."));
    }
    box.appendChild(list);
    var problem = errorFor(path, [match]);
    if (problem) {
      box.appendChild(problem);
    }

    var actions = element("div", "flex flex-wrap gap-2");
    var full = countConditions(state) >= config.maxConditions;
    var addCondition = button("Add condition", "add-condition", function () {
      node.conditions.push({ attribute: "", operator: "", value: "" });
      render(path.concat([node.conditions.length - 1, "attribute"]));
      changed();
    });
    addCondition.id = id + "-add-condition";
    addCondition.disabled = full;
    actions.appendChild(addCondition);
    if (depth < config.maxDepth) {
      var addGroup = button("Add group of conditions", "add-group", function () {
        node.conditions.push({
          match: "any",
          conditions: [{ attribute: "", operator: "", value: "" }]
        });
        render(path.concat([node.conditions.length - 1, 0, "attribute"]));
        changed();
      });
      addGroup.id = id + "-add-group";
      addGroup.disabled = full;
      actions.appendChild(addGroup);
    } else {
      actions.appendChild(element("p", "text-xs self-center",
        "Groups nest at most " + config.maxDepth + " levels deep."));
    }
    if (depth > 1) {
      var removeGroup = button("Remove group", "remove-group", function () {
        var parentPath = path.slice(0, -1);
        at(parentPath).conditions.splice(path[path.length - 1], 1);
        error = null;
        render(parentPath.concat(["add-condition"]));
        changed();
      });
      removeGroup.setAttribute("aria-label", "Remove group of conditions " + number);
      actions.appendChild(removeGroup);
    }
    box.appendChild(actions);
    return box;
  }

  // Render the whole tree; ``focusPath`` ends with the control to focus
  // ("attribute", "operator" or "add-condition").
  function render(focusPath) {
    root.textContent = "";
    root.appendChild(renderGroup(state, [], 1, 1));
    root.hidden = kind && kind.value !== "rule";
    save();
    if (focusPath) {
      var last = focusPath[focusPath.length - 1];
      var target = document.getElementById(key(focusPath.slice(0, -1)) + "-" + last);
      if (target) {
        target.focus();
      }
    }
  }

  if (kind) {
    kind.addEventListener("change", function () {
      root.hidden = kind.value !== "rule";
    });
  }
  // The live preview reports the problem of the rule as it stands.
  document.addEventListener("rule-preview", function (event) {
    var detail = event.detail || {};
    var next = detail.error ? { path: editorPath(detail.path), message: detail.error } : null;
    if (JSON.stringify(next) !== JSON.stringify(error)) {
      error = next;
      rerenderKeepingFocus();
    }
  });

  function rerenderKeepingFocus() {
    var active = document.activeElement;
    var focused = active && active.id;
    var start = null;
    var end = null;
    try {
      start = active.selectionStart;
      end = active.selectionEnd;
    } catch (e) {
      start = null;
    }
    render(null);
    var again = focused && document.getElementById(focused);
    if (again) {
      again.focus();
      if (start !== null && again.setSelectionRange) {
        try {
          again.setSelectionRange(start, end);
        } catch (e) {
          // Date inputs have no text selection.
        }
      }
    }
  }

  render(null);
  if (config.error) {
    save();
    error = { path: editorPath(config.error.path), message: config.error.message };
    render(null);
  }
})();
