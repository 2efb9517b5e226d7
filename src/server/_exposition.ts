/**
 * A writer of the Prometheus text exposition format, version 0.0.4: one `# HELP` and one `# TYPE`
 * line per metric family, then its samples as `name{label="value",…} number`, each line ending
 * in a newline.
 *
 * Invariants: metric and label names are checked against the format's grammar before they are
 * written (a bad one throws); label values escape backslash, double quote and line feed, help
 * texts escape backslash and line feed, so no value can end a line or a label early.
 *
 * @module
 */

/** The Content-Type of a text exposition. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The kinds of metric family this writer writes. */
export type MetricType = "counter" | "gauge";

/** One sample: its label values by label name (none for an unlabelled metric) and its value. */
export interface Sample {
  labels?: Readonly<Record<string, string>>;
  value: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value as the format writes it between double quotes: `\`, `"` and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** A help text as the format writes it: `\` and line feed escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

/** A sample value as the format writes it: `NaN`, `+Inf`, `-Inf`, or the number. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** Collects metric families and writes them as one exposition text. */
export class ExpositionWriter {
  readonly #lines: string[] = [];
  readonly #names = new Set<string>();

  /**
   * Adds a metric family with its samples (none is allowed: the family is still announced).
   * @throws {RangeError} on a metric or label name the format does not allow, or a family
   *   written twice
   */
  family(name: string, type: MetricType, help: string, samples: readonly Sample[]): this {
    if (!METRIC_NAME.test(name)) throw new RangeError(`Invalid metric name "${name}"`);
    if (this.#names.has(name)) throw new RangeError(`Metric "${name}" is written twice`);
    this.#names.add(name);
    this.#lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const sample of samples) {
      this.#lines.push(`${name}${labelText(sample.labels)} ${formatValue(sample.value)}`);
    }
    return this;
  }

  /** The exposition: every line added so far, each ending in a line feed. */
  text(): string {
    return this.#lines.map((line) => `${line}\n`).join("");
  }
}

function labelText(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return "";
  const pairs = Object.entries(labels).map(([name, value]) => {
    if (!LABEL_NAME.test(name) || name.startsWith("__")) {
      throw new RangeError(`Invalid label name "${name}"`);
    }
    return `${name}="${escapeLabelValue(value)}"`;
  });
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}
