import { onnx } from 'onnx-proto';
import type { HeadWeights } from '../../model/head';
import type { OnnxIo } from '../zoo-types';
import { ONNX_PROBABILITIES } from './convert-layers';

const PREFIX = 'ocellus_head';

function floatTensor(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function node(op: string, inputs: string[], output: string, attrs: onnx.IAttributeProto[] = []) {
  return { opType: op, name: `${output}/${op}`, input: inputs, output: [output], attribute: attrs };
}

/**
 * An ONNX base model with a trained head appended to its embedding output: the embedding
 * (reduced as the app reduces it: [n, tokens, d] by token 0, [n, c, h, w] by global average
 * pooling), Dense ReLU, Dense softmax. The image input stays as the base declares it; the
 * only output is `probabilities` [n, classes]. `rank` is the embedding output's rank.
 */
export function appendHead(
  baseBytes: Uint8Array,
  io: OnnxIo,
  rank: number,
  head: HeadWeights,
): Uint8Array {
  const model = onnx.ModelProto.decode(baseBytes);
  const graph = model.graph;
  if (!graph) throw new Error('The ONNX model has no graph');
  const nodes = [...(graph.node ?? [])];
  const inits = [...(graph.initializer ?? [])];
  const T = onnx.AttributeProto.AttributeType;
  let emb = io.output;
  if (rank === 3) {
    inits.push({
      name: `${PREFIX}/token0`,
      dims: [],
      dataType: onnx.TensorProto.DataType.INT64,
      int64Data: [0],
    });
    nodes.push(
      node('Gather', [emb, `${PREFIX}/token0`], `${PREFIX}/cls`, [
        { name: 'axis', type: T.INT, i: 1 },
      ]),
    );
    emb = `${PREFIX}/cls`;
  } else if (rank === 4) {
    nodes.push(node('GlobalAveragePool', [emb], `${PREFIX}/pooled`));
    nodes.push(node('Flatten', [`${PREFIX}/pooled`], `${PREFIX}/flat`));
    emb = `${PREFIX}/flat`;
  }
  inits.push(
    floatTensor(`${PREFIX}/w1`, [head.dim, head.hidden], head.w1),
    floatTensor(`${PREFIX}/b1`, [head.hidden], head.b1),
    floatTensor(`${PREFIX}/w2`, [head.hidden, head.classes], head.w2),
    floatTensor(`${PREFIX}/b2`, [head.classes], head.b2),
  );
  nodes.push(
    node('Gemm', [emb, `${PREFIX}/w1`, `${PREFIX}/b1`], `${PREFIX}/hidden`),
    node('Relu', [`${PREFIX}/hidden`], `${PREFIX}/relu`),
    node('Gemm', [`${PREFIX}/relu`, `${PREFIX}/w2`, `${PREFIX}/b2`], `${PREFIX}/logits`),
    node('Softmax', [`${PREFIX}/logits`], ONNX_PROBABILITIES, [
      { name: 'axis', type: T.INT, i: 1 },
    ]),
  );
  graph.node = nodes;
  graph.initializer = inits;
  graph.output = [
    {
      name: ONNX_PROBABILITIES,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: [{ dimParam: 'N' }, { dimValue: head.classes }] },
        },
      },
    },
  ];
  return onnx.ModelProto.encode(model).finish();
}
