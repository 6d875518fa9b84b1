import { createContext } from 'svelte';
import type { States } from './states';

/**
 * The state objects reach components through Svelte context (set once, in the app root),
 * not module singletons: a test or a second app builds its own with `createStates`.
 */
const [getStates, setStates] = createContext<States>();

/** Makes the states available to the app root's component tree. Call once, in App.svelte. */
export function provideStates(states: States): void {
  setStates(states);
}

export const useApp = () => getStates().app;
export const useLabels = () => getStates().labels;
export const useLibrary = () => getStates().library;
export const useImageView = () => getStates().imageView;
export const useJobs = () => getStates().jobs;
export const useMl = () => getStates().ml;
export const useTraining = () => getStates().training;
export const useAssist = () => getStates().assist;
export const useEvaluation = () => getStates().evaluation;
export const useExportState = () => getStates().exportState;
export const useClinic = () => getStates().clinic;
export const useDetect = () => getStates().detect;
