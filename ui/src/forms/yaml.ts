// JSON values as block-style YAML, for showing a pipeline spec the way `kfp compile` writes
// it (display only: the server reads the packages). Unit-tested in yaml.test.ts.

function scalar(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const text = String(value);
  // Plain when YAML would read it back as the same string; quoted (JSON is valid YAML) else.
  const plain = /^[A-Za-z_./][\w ./-]*$/.test(text) && !/^(true|false|null|yes|no|on|off|~)$/i.test(text) && !text.endsWith(" ");
  return plain ? text : JSON.stringify(text);
}

function isEmpty(value: unknown): boolean {
  return Array.isArray(value) ? value.length === 0 : typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

function lines(value: unknown, indent: string): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (typeof item === "object" && item !== null && !isEmpty(item)) {
        const [first = "", ...rest] = lines(item, `${indent}  `);
        return [`${indent}- ${first.trimStart()}`, ...rest];
      }
      return [`${indent}- ${isEmpty(item) ? JSON.stringify(item) : scalar(item)}`];
    });
  }
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => {
      const name = scalar(key);
      if (typeof item === "object" && item !== null && !isEmpty(item)) return [`${indent}${name}:`, ...lines(item, `${indent}  `)];
      return [`${indent}${name}: ${isEmpty(item) ? JSON.stringify(item) : scalar(item)}`];
    });
  }
  return [`${indent}${scalar(value)}`];
}

/** ``value`` as YAML text. */
export function toYaml(value: unknown): string {
  if (typeof value !== "object" || value === null || isEmpty(value)) return `${isEmpty(value) ? JSON.stringify(value) : scalar(value)}\n`;
  return `${lines(value, "").join("\n")}\n`;
}
