// Measures the laid-out report and appends what it found to the body as JSON, in a pre element with the id layout-probe.
// Appended to a copy of the report (the report itself runs no script) by tests/render/test_layout.py.
(function () {
  function describe(el) {
    var parts = [];
    for (var e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      var name = e.tagName.toLowerCase();
      if (e.id) name += '#' + e.id;
      if (typeof e.className === 'string' && e.className.trim()) name += '.' + e.className.trim().split(/\s+/).join('.');
      parts.unshift(name);
    }
    return parts.join(' > ') + ': ' + (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 80);
  }
  var problems = [];
  var root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) problems.push('the page scrolls sideways by ' + (root.scrollWidth - root.clientWidth) + ' px');
  var elements = document.body.querySelectorAll('*');
  for (var i = 0; i < elements.length; i++) {
    var el = elements[i];
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;  // chart marks live in the viewBox
    var style = getComputedStyle(el);
    if (style.display === 'none' || el.id === 'layout-probe') continue;
    if (style.overflowX !== 'visible' && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      problems.push('clips or scrolls its content by ' + (el.scrollWidth - el.clientWidth) + ' px: ' + describe(el));
    var parent = el.parentElement;
    if (!parent || parent === document.body) continue;
    var box = el.getBoundingClientRect(), outer = parent.getBoundingClientRect();
    var right = outer.right - parseFloat(getComputedStyle(parent).borderRightWidth);
    if (box.width > 0 && box.right > right + 1)
      problems.push('sticks out of its container by ' + Math.round(box.right - right) + ' px: ' + describe(el));
  }
  var bottoms = {};
  var marks = (document.body.getAttribute('data-probe-marks') || '').split('|');
  for (var j = 0; j < marks.length; j++) {
    if (!marks[j]) continue;
    var found = document.querySelector(marks[j]);
    bottoms[marks[j]] = found ? found.getBoundingClientRect().bottom + window.scrollY : null;
  }
  var out = document.createElement('pre');
  out.id = 'layout-probe';
  out.textContent = JSON.stringify({width: root.clientWidth, height: root.scrollHeight, problems: problems, bottoms: bottoms});
  document.body.appendChild(out);
})();
