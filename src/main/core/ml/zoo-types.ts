/** How an image is brought to the network's input size. */
export type ResizePolicy = 'squash' | 'center-crop' | 'letterbox';

/** Pixel value normalisation applied after resizing (RGB order). */
export type Normalization =
  /** Scale 0..255 to [min, max], e.g. [-1, 1] for MobileNet, [0, 1] for EfficientNet-Lite. */
  | { kind: 'range'; min: number; max: number }
  /** (x / 255 - mean) / std per channel, as torchvision/Keras 'torch' mode. */
  | { kind: 'mean-std'; mean: [number, number, number]; std: [number, number, number] }
  /** Subtract per-channel means from 0..255 values, optionally as BGR ('caffe' mode: VGG16, ResNet50). */
  | { kind: 'caffe'; mean: [number, number, number]; bgr: boolean };

export interface PreprocessingSpec {
  inputSize: [number, number];
  resize: ResizePolicy;
  normalization: Normalization;
}

/** How an ONNX image model is fed and which output is the embedding. */
export interface OnnxIo {
  /** Name of the image input. */
  input: string;
  /** Name of the embedding output ([n, dim]; [n, tokens, dim] takes token 0, [n, c, h, w] is pooled). */
  output: string;
  /** NCHW (PyTorch exports) or NHWC. */
  layout: 'NCHW' | 'NHWC';
}

/** One entry of resources/model-zoo.json. */
export interface ZooModel {
  id: string;
  name: string;
  /** 'layers' (tf.loadLayersModel), 'graph' (tf.loadGraphModel) or 'onnx' (one .onnx file, ONNX Runtime). */
  format: 'layers' | 'graph' | 'onnx';
  /** URL of model.json (weight shards are resolved next to it), or of the .onnx file. */
  url: string;
  /** ONNX models: the input, the embedding output and the layout. */
  onnx?: OnnxIo;
  /** Where the model can only be supplied by the user (gated or non-commercial licence): why. */
  userSupplied?: string;
  /** Where the address was confirmed, or why it could not be. */
  sourceNote: string;
  /** False when the address could not be confirmed from public material. */
  confirmed: boolean;
  preprocessing: PreprocessingSpec;
  /**
   * Feature output: for Layers models a layer name whose output is the embedding (a 4-D
   * map is globally average-pooled), or 'auto'; for Graph models an output node name or 'default'.
   */
  featureOutput: string;
  /** Length of the embedding. */
  featureSize: number;
  /** sha256 (hex) of model.json (of the .onnx file for ONNX models), and of each weight shard by file name, when known. */
  sha256: { modelJson: string | null; shards: Record<string, string> } | null;
  /** Total download size in bytes, when known. */
  sizeBytes: number | null;
  licence: string;
}

export interface ZooManifest {
  version: 1;
  models: ZooModel[];
}
