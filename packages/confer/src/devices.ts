/** The `confer/devices` entry: device lists, preview capture and device fallback, kept out of the bundle of `import { Room }`. */
export { listDevices, createLocalStream, watchDevices } from './media/devices.js';
export type { LocalStreamOptions, DeviceWatchOptions } from './media/devices.js';
