/**
 * A validator for Camtrap DP 1.0 packages built on the published schemas kept in
 * tests/fixtures/camtrap-dp (copied from github.com/tdwg/camtrap-dp at tag 1.0, MIT):
 * table schemas (header order, required, types, datetime format, enum, pattern, min/max,
 * unique, primary and foreign keys) and the profile (a JSON-Schema subset: type, required,
 * enum, pattern, format date, properties, items, minItems, oneOf, allOf, local $ref; the
 * external Frictionless and GeoJSON $refs cannot be fetched offline and are skipped).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../../src/main/core/export/csv';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'camtrap-dp');

interface Field {
  name: string;
  type: string;
  format?: string;
  constraints?: {
    required?: boolean;
    unique?: boolean;
    enum?: string[];
    pattern?: string;
    minimum?: number;
    maximum?: number;
  };
}
interface TableSchema {
  fields: Field[];
  primaryKey?: string;
  foreignKeys?: { fields: string; reference: { resource: string; fields: string } }[];
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:?\d{2})$/;

function checkValue(f: Field, v: string, where: string, errors: string[]): void {
  const c = f.constraints ?? {};
  if (v === '') {
    if (c.required) errors.push(`${where}: ${f.name} is required`);
    return;
  }
  const num = Number(v);
  switch (f.type) {
    case 'number':
      if (!Number.isFinite(num)) errors.push(`${where}: ${f.name}=${v} is not a number`);
      break;
    case 'integer':
      if (!Number.isInteger(num)) errors.push(`${where}: ${f.name}=${v} is not an integer`);
      break;
    case 'boolean':
      if (!['true', 'false'].includes(v)) errors.push(`${where}: ${f.name}=${v} is not a boolean`);
      break;
    case 'datetime':
      if (!DATETIME.test(v) || Number.isNaN(Date.parse(v)))
        errors.push(`${where}: ${f.name}=${v} does not match ${f.format}`);
      break;
    default:
      break;
  }
  if ((f.type === 'number' || f.type === 'integer') && Number.isFinite(num)) {
    if (c.minimum !== undefined && num < c.minimum)
      errors.push(`${where}: ${f.name} < ${c.minimum}`);
    if (c.maximum !== undefined && num > c.maximum)
      errors.push(`${where}: ${f.name} > ${c.maximum}`);
  }
  if (c.enum && !c.enum.includes(v)) errors.push(`${where}: ${f.name}=${v} not in enum`);
  if (c.pattern && !new RegExp(`^(?:${c.pattern})$`).test(v))
    errors.push(`${where}: ${f.name}=${v} does not match ${c.pattern}`);
}

type Json = Record<string, unknown>;

function checkSchema(schema: Json, value: unknown, at: string, errors: string[], root: Json): void {
  if (typeof schema['$ref'] === 'string') {
    const ref = schema['$ref'];
    if (ref.startsWith('#')) {
      const name = ref.split('/').pop() ?? '';
      const target = (root['$defs'] as Json | undefined)?.[name] as Json | undefined;
      if (target) checkSchema(target, value, at, errors, root);
    }
  }
  const type = schema['type'];
  if (type === 'object' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    errors.push(`${at}: not an object`);
    return;
  }
  if (type === 'array' && !Array.isArray(value)) {
    errors.push(`${at}: not an array`);
    return;
  }
  if (type === 'string' && typeof value !== 'string') errors.push(`${at}: not a string`);
  if (type === 'boolean' && typeof value !== 'boolean') errors.push(`${at}: not a boolean`);
  if (Array.isArray(schema['enum']) && !(schema['enum'] as unknown[]).includes(value))
    errors.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (
    typeof schema['pattern'] === 'string' &&
    typeof value === 'string' &&
    !new RegExp(schema['pattern']).test(value)
  )
    errors.push(`${at}: ${value} does not match ${schema['pattern']}`);
  if (
    schema['format'] === 'date' &&
    typeof value === 'string' &&
    !/^\d{4}-\d{2}-\d{2}$/.test(value)
  )
    errors.push(`${at}: ${value} is not a date`);
  if (
    schema['format'] === 'uri' &&
    typeof value === 'string' &&
    !/^[a-z][a-z0-9+.-]*:/i.test(value)
  )
    errors.push(`${at}: ${value} is not a URI`);
  if (Array.isArray(value)) {
    if (typeof schema['minItems'] === 'number' && value.length < schema['minItems'])
      errors.push(`${at}: fewer than ${schema['minItems']} items`);
    const items = schema['items'] as Json | undefined;
    if (items) value.forEach((v, i) => checkSchema(items, v, `${at}[${i}]`, errors, root));
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Json;
    for (const key of (schema['required'] as string[] | undefined) ?? [])
      if (!(key in obj)) errors.push(`${at}: ${key} is required`);
    const props = (schema['properties'] as Record<string, Json> | undefined) ?? {};
    for (const [k, s] of Object.entries(props))
      if (k in obj) checkSchema(s, obj[k], `${at}.${k}`, errors, root);
  }
  for (const s of (schema['allOf'] as Json[] | undefined) ?? [])
    checkSchema(s, value, at, errors, root);
  const oneOf = schema['oneOf'] as Json[] | undefined;
  if (oneOf) {
    const passing = oneOf.filter((s) => {
      const e: string[] = [];
      checkSchema(s, value, at, e, root);
      return e.length === 0;
    });
    if (passing.length !== 1) errors.push(`${at}: matches ${passing.length} of oneOf`);
  }
  if (schema['not']) {
    const e: string[] = [];
    checkSchema(schema['not'] as Json, value, at, e, root);
    if (e.length === 0) errors.push(`${at}: matches a "not" schema`);
  }
}

/** Every problem found in the Camtrap DP package in `dir` (empty when it is valid). */
export function validateCamtrapDp(dir: string): string[] {
  const errors: string[] = [];
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'datapackage.json'), 'utf8')) as Json;
  const profile = JSON.parse(
    fs.readFileSync(path.join(FIXTURES, 'camtrap-dp-profile.json'), 'utf8'),
  ) as Json;
  checkSchema(profile, pkg, 'datapackage', errors, profile);
  const tables: Record<string, Record<string, string>[]> = {};
  for (const name of ['deployments', 'media', 'observations']) {
    const schema = JSON.parse(
      fs.readFileSync(path.join(FIXTURES, `${name}-table-schema.json`), 'utf8'),
    ) as TableSchema;
    const res = (pkg['resources'] as Json[]).find((r) => r['name'] === name);
    if (!res) {
      errors.push(`resource ${name} missing`);
      continue;
    }
    if (
      res['schema'] !==
      `https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0/${name}-table-schema.json`
    )
      errors.push(`${name}: schema URL ${String(res['schema'])}`);
    const rows = parseCsv(fs.readFileSync(path.join(dir, String(res['path'])), 'utf8'));
    const header = rows[0] ?? [];
    const names = schema.fields.map((f) => f.name);
    if (header.join(',') !== names.join(','))
      errors.push(`${name}: header ${header.join(',')} ≠ schema fields`);
    const records = rows
      .slice(1)
      .map((r) => Object.fromEntries(names.map((n, i) => [n, r[i] ?? ''])));
    records.forEach((rec, i) => {
      if (rows[i + 1]!.length !== names.length)
        errors.push(`${name} row ${i + 2}: ${rows[i + 1]!.length} fields`);
      for (const f of schema.fields)
        checkValue(f, rec[f.name] ?? '', `${name} row ${i + 2}`, errors);
    });
    for (const f of schema.fields.filter(
      (x) => x.constraints?.unique || x.name === schema.primaryKey,
    )) {
      const seen = new Set<string>();
      for (const rec of records) {
        const v = rec[f.name] ?? '';
        if (v !== '' && seen.has(v)) errors.push(`${name}: duplicate ${f.name} ${v}`);
        seen.add(v);
      }
    }
    tables[name] = records;
  }
  for (const name of ['media', 'observations']) {
    const schema = JSON.parse(
      fs.readFileSync(path.join(FIXTURES, `${name}-table-schema.json`), 'utf8'),
    ) as TableSchema;
    for (const fk of schema.foreignKeys ?? []) {
      const keys = new Set(
        (tables[fk.reference.resource] ?? []).map((r) => r[fk.reference.fields]),
      );
      for (const rec of tables[name] ?? []) {
        const v = rec[fk.fields] ?? '';
        if (v !== '' && !keys.has(v))
          errors.push(`${name}: ${fk.fields} ${v} not in ${fk.reference.resource}`);
      }
    }
  }
  return errors;
}
