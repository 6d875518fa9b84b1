/** Domain types shared by every layer, one module per domain. Plain data only: they cross every transport. */
export * from './app';
export * from './project';
export * from './jobs';
export * from './library';
export * from './ml';
export * from './labels';
export * from './train';
export * from './export';
export * from './assist';
export * from './evaluate';
export * from './predict';
export * from './clinic';
export * from './detect';
