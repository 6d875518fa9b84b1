// Minimal typings of the parts of dcmjs Ocellus uses: the package ships no declarations.
declare module 'dcmjs' {
  /** A naturalized dataset: DICOM keywords → values (strings, numbers, arrays, sequences). */
  export type NaturalDataset = Record<string, unknown>;
  interface DicomDictInstance {
    meta: Record<string, unknown>;
    dict: Record<string, unknown>;
    write(options?: Record<string, unknown>): ArrayBuffer;
  }
  const dcmjs: {
    /** loglevel: named loggers whose level can be set. */
    log: { getLogger(name: string): { setLevel(level: 'silent' | 'error' | 'warn'): void } };
    data: {
      DicomMessage: {
        readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DicomDictInstance;
      };
      DicomDict: new (meta: Record<string, unknown>) => DicomDictInstance;
      DicomMetaDictionary: {
        naturalizeDataset(dict: Record<string, unknown>): NaturalDataset;
        denaturalizeDataset(dataset: NaturalDataset): Record<string, unknown>;
        uid(): string;
        nameMap: Record<string, { tag: string; vr: string; name: string }>;
        dictionary: Record<string, { tag: string; vr: string; name: string }>;
      };
      datasetToBuffer?(dataset: NaturalDataset): Buffer;
    };
  };
  export default dcmjs;
}
