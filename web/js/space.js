// space: reading a study's search space for the charts: each parameter's
// kind, and a position on a common scale (log where declared, the choice
// index for categoricals). No drawing and no server access.
// SPDX-License-Identifier: MIT

// [{name, type, log, low, high, choices}] in the definition's order.
export function paramsOf(study) {
  return Object.entries(study.definition.space).map(([name, p]) => ({
    name,
    type: p.type,
    log: !!p.log,
    low: p.low,
    high: p.high,
    choices: p.choices || null,
  }));
}

// A raw value as a number on the parameter's axis: the choice index for a
// categorical (matching by JSON text so 1 and "1" differ), else itself.
export function axisValue(p, v) {
  if (v === undefined || v === null) return null;
  if (p.type === 'categorical') {
    const i = p.choices.findIndex((c) => JSON.stringify(c) === JSON.stringify(v));
    return i < 0 ? null : i;
  }
  return typeof v === 'number' ? v : null;
}

// Position in [0, 1] along the parameter's declared range.
export function unitValue(p, v) {
  const a = axisValue(p, v);
  if (a === null) return null;
  if (p.type === 'categorical') return p.choices.length > 1 ? a / (p.choices.length - 1) : 0.5;
  if (p.high === p.low) return 0.5;
  if (p.log) return (Math.log(a) - Math.log(p.low)) / (Math.log(p.high) - Math.log(p.low));
  return (a - p.low) / (p.high - p.low);
}
