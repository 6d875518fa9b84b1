/** The `library` domain of the API contract (see ../api.ts). */
import type {
  AddRootOptions,
  ImageFilter,
  IdPage,
  IdQuery,
  ImageTile,
  ImageCounts,
  ImageDetail,
  ImagePage,
  ImageQuery,
  JobInfo,
  LibrarySettings,
  MetadataImport,
  MetadataKey,
  RemoveRootOptions,
  RootInfo,
} from '../types';

export interface LibraryApi {
  /** The project's root folders. */
  roots(): Promise<RootInfo[]>;
  /** Adds a folder (recursive) and starts importing it as a job. */
  addRoot(path: string, options?: AddRootOptions): Promise<RootInfo>;
  /** Removes a root and its images, keeping or dropping their labels. */
  removeRoot(rootId: number, options: RemoveRootOptions): Promise<void>;
  /** Points a root at the folder it moved to (another drive letter, a renamed folder). */
  relocateRoot(rootId: number, path: string): Promise<RootInfo>;
  /** Re-reads all roots (or one) from disk; returns the import job. */
  rescan(rootId?: number): Promise<JobInfo | null>;
  /** Image counts by status. */
  counts(): Promise<ImageCounts>;
  /** One page of images matching a filter, in a sort order. */
  listImages(query: ImageQuery): Promise<ImagePage>;
  /** The next chunk of a listing's ids after a cursor (keyset paging: as fast at any depth). */
  listIds(query: IdQuery): Promise<IdPage>;
  /** Tiles of these images in this order (at most 5,000; unknown or missing ones left out). */
  tiles(imageIds: number[]): Promise<ImageTile[]>;
  /** Everything known about one image, EXIF included. */
  image(imageId: number): Promise<ImageDetail>;
  /** Ids of every image matching a filter (for "select all"), in the given order. */
  imageIds(filter: ImageFilter, sort?: ImageQuery['sort']): Promise<number[]>;
  settings(): Promise<LibrarySettings>;
  updateSettings(settings: Partial<LibrarySettings>): Promise<LibrarySettings>;
  /** Imports image metadata (patient id, eye…) from a CSV: path,<key>,<key>… */
  importMetadata(file: string): Promise<MetadataImport>;
  /** Metadata keys of the project, for grouping a split by one (`meta:<key>`). */
  metadataKeys(): Promise<MetadataKey[]>;
}
