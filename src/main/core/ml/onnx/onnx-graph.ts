import { onnx } from 'onnx-proto';

/** The ONNX opset the converter writes (Reshape/Pad/Softmax take their opset-13 forms). */
export const OPSET = 13;
/** IR version 7 is the one that goes with opset 13. */
const IR_VERSION = 7;

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

/** One initializer, kept as a typed array until encoding so BatchNorm can be folded into it. */
export interface Initializer {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  name: string;
}

/** A dimension: a number, or a symbolic name (the batch). */
export type Dim = number | string;

/**
 * Accumulates an ONNX graph (nodes, weights, inputs, outputs) and encodes it with the
 * onnx-proto definitions. Names are made unique here, so converters can reuse layer names.
 */
export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly initializers = new Map<string, Initializer>();
  private readonly inputs: { name: string; dims: Dim[] }[] = [];
  private readonly outputs: { name: string; dims: Dim[] }[] = [];
  private readonly used = new Set<string>();

  /** A fresh value name starting with `base`. */
  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_');
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  addInput(name: string, dims: Dim[]): string {
    const n = this.unique(name);
    this.inputs.push({ name: n, dims });
    return n;
  }

  addOutput(name: string, dims: Dim[]): void {
    this.outputs.push({ name, dims });
  }

  /** Adds a float32 weight and returns its name. */
  weight(base: string, dims: number[], data: Float32Array): string {
    const name = this.unique(base);
    this.initializers.set(name, { name, dims, data });
    return name;
  }

  /** Adds an int64 constant (shapes, pads, axes) and returns its name. */
  ints(base: string, values: number[]): string {
    const name = this.unique(base);
    this.initializers.set(name, {
      name,
      dims: [values.length],
      data: BigInt64Array.from(values.map((v) => BigInt(v))),
    });
    return name;
  }

  /** Adds a float32 scalar constant. */
  scalar(base: string, value: number): string {
    const name = this.unique(base);
    this.initializers.set(name, { name, dims: [], data: Float32Array.of(value) });
    return name;
  }

  /** Appends a node with one output named after `base`; returns the output's name. */
  op(op: string, inputs: string[], base: string, attrs: Record<string, AttrValue> = {}): string {
    const out = this.unique(base);
    this.nodes.push({ op, inputs, outputs: [out], attrs, name: this.unique(`${base}/${op}`) });
    return out;
  }

  /** The node that produces `value`, if any. */
  producer(value: string): GraphNode | undefined {
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      if (node?.outputs.includes(value)) return node;
    }
    return undefined;
  }

  /** Serialises the graph as an ONNX model. */
  encode(graphName: string, docString = ''): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'ocellus',
      producerVersion: '1',
      docString,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: graphName,
        node: this.nodes.map((n) => ({
          opType: n.op,
          name: n.name,
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attrs).map(([name, v]) => attribute(name, v)),
        })),
        initializer: [...this.initializers.values()].map(tensorProto),
        input: this.inputs.map((i) => valueInfo(i.name, i.dims)),
        output: this.outputs.map((o) => valueInfo(o.name, o.dims)),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attribute(name: string, v: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.FLOATS, floats: v.floats };
}

function tensorProto(t: Initializer): onnx.ITensorProto {
  const isFloat = t.data instanceof Float32Array;
  // ONNX raw data is little-endian, as are the typed arrays on every platform Ocellus runs on.
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return {
    name: t.name,
    dims: t.dims,
    dataType: isFloat ? onnx.TensorProto.DataType.FLOAT : onnx.TensorProto.DataType.INT64,
    rawData: bytes,
  };
}

function valueInfo(name: string, dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}
