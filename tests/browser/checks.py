"""What every page a journey reaches must pass: axe-core with the WCAG 2.1 A
and AA rules, a contrast measurement of our own (axe leaves text on a
transparent background "incomplete"), and at 390 px no sideways scrolling
and a main menu whose every link can be reached."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_axe = Axe()

# Every visible element that draws text of its own (a text node, or the value
# of a form control) is measured against the first opaque background behind
# it, walking up the ancestors and blending translucent ones on the way.
CONTRAST_JS = r"""
() => {
  function rgba(text) {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function blend(top, bottom) {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  }
  function background(el) {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const c = rgba(getComputedStyle(node).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];  // the canvas
    for (let i = layers.length - 1; i >= 0; i--) colour = blend(layers[i], colour);
    return colour;
  }
  function luminance(c) {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function ratio(a, b) {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  }
  function visible(el) {
    const style = getComputedStyle(el);
    if (style.visibility !== "visible" || style.display === "none") return false;
    if (Number(style.opacity) === 0) return false;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) return false;  // screen-reader-only text
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const s = getComputedStyle(node);
      if (s.clip && s.clip !== "auto" && s.position === "absolute") return false;
      if (s.clipPath && s.clipPath !== "none") return false;
      if (node.tagName === "DETAILS" && !node.open && node !== el) {
        const summary = node.querySelector(":scope > summary");
        if (!summary || !summary.contains(el)) return false;
      }
    }
    return true;
  }
  const failures = [];
  const seen = new Set();
  const candidates = document.querySelectorAll("body *");
  for (const el of candidates) {
    if (["SCRIPT", "STYLE", "OPTION", "NOSCRIPT", "TITLE"].includes(el.tagName)) continue;
    const ownText = Array.from(el.childNodes).some(
      n => n.nodeType === 3 && n.textContent.trim() !== "");
    const control = ["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(el.tagName)
      && !["hidden", "checkbox", "radio", "file", "range", "color"].includes(el.type);
    if (!ownText && !control) continue;
    if (control && el.tagName !== "BUTTON" && el.tagName !== "SELECT" && !el.value) continue;
    if (!visible(el)) continue;
    const style = getComputedStyle(el);
    const fg = rgba(style.color);
    const bg = background(el);
    const colour = blend(fg, bg);
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (size >= 18.66 && bold);
    const need = large ? 3 : 4.5;
    const r = ratio(colour, bg);
    if (r + 1e-6 < need) {
      const text = (el.innerText || el.value || "").trim().replace(/\s+/g, " ").slice(0, 60);
      const key = el.tagName + text;
      if (seen.has(key)) continue;
      seen.add(key);
      failures.push(`${el.tagName.toLowerCase()} "${text}": ${r.toFixed(2)}:1 < ${need}:1`);
    }
  }
  return failures;
}
"""

LAYOUT_JS = r"""
() => {
  const width = window.innerWidth;
  const out = {scrollWidth: document.documentElement.scrollWidth, width: width, unreachable: [],
               wide: []};
  // The innermost elements reaching past the right edge: what to fix.
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    // An element's own box, or text running out of it (a long word).
    const right = Math.max(box.right, box.left + el.scrollWidth);
    if (right <= width + 0.5 || box.width < 1) continue;
    let clipped = false;
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      if (getComputedStyle(node).overflowX !== "visible") { clipped = true; break; }
    }
    if (clipped) continue;
    const inner = Array.from(el.children).some(c => c.getBoundingClientRect().right > width + 0.5
      && getComputedStyle(el).overflowX === "visible");
    if (!inner && out.wide.length < 3) {
      const cls = typeof el.className === "string" && el.className
        ? "." + el.className.split(" ")[0] : "";
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls;
      out.wide.push(`${name} (${Math.round(right)} px)`);
    }
  }
  for (const link of document.querySelectorAll("header nav a, header nav button")) {
    const box = link.getBoundingClientRect();
    const style = getComputedStyle(link);
    if (box.width < 1 || box.height < 1 || style.visibility !== "visible"
        || box.left < 0 || box.right > width + 0.5) {
      out.unreachable.push(link.textContent.trim());
    }
  }
  return out;
}
"""


# Two animation frames: the layout after a resize has been worked out.
SETTLE_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def axe_violations(page) -> list[str]:
    """axe-core with the WCAG 2.1 A and AA rules: one line per violated node."""
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    lines = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            lines.append(f"axe {violation['id']}: {' '.join(node['target'])}")
    return lines


def contrast_failures(page) -> list[str]:
    """Visible text below 4.5:1 (3:1 when large) against what it is drawn on."""
    return [f"contrast {line}" for line in page.evaluate(CONTRAST_JS)]


def layout_failures(page) -> list[str]:
    """At a narrow width: no sideways scrolling, every menu link on screen."""
    layout = page.evaluate(LAYOUT_JS)
    problems = []
    if layout["scrollWidth"] > layout["width"]:
        problems.append(
            f"scrolls sideways: {layout['scrollWidth']} px > {layout['width']} px, "
            f"past the edge: {', '.join(layout['wide'])}"
        )
    problems += [f"menu item off screen: {name}" for name in layout["unreachable"]]
    return problems
