// Which `-q` line answers which `--query-gpu` field, for scenarios built from `-q` captures (no all-fields CSV
// exists for a 3090). Fields missing here print `[N/A]`.

import { fieldCatalog } from './field-catalog.js';
import type { QTextGpu } from './read-q-text.js';

const LINK = 'PCI/GPU Link Info';
const REASONS = 'Clocks Event Reasons';

/** Query field → `-q` path. */
const Q_PATHS: Record<string, string> = {
  name: 'Product Name',
  serial: 'Serial Number',
  uuid: 'GPU UUID',
  'pci.bus_id': 'PCI/Bus Id',
  'pci.domain': 'PCI/Domain',
  'pci.bus': 'PCI/Bus',
  'pci.device': 'PCI/Device',
  'pci.baseClass': 'PCI/Base Classcode',
  'pci.subClass': 'PCI/Sub Classcode',
  'pci.device_id': 'PCI/Device Id',
  'pci.sub_device_id': 'PCI/Sub System Id',
  'pcie.link.gen.current': `${LINK}/PCIe Generation/Current`,
  'pcie.link.gen.gpucurrent': `${LINK}/PCIe Generation/Device Current`,
  'pcie.link.gen.max': `${LINK}/PCIe Generation/Max`,
  'pcie.link.gen.gpumax': `${LINK}/PCIe Generation/Device Max`,
  'pcie.link.gen.hostmax': `${LINK}/PCIe Generation/Host Max`,
  'pcie.link.width.current': `${LINK}/Link Width/Current`,
  'pcie.link.width.max': `${LINK}/Link Width/Max`,
  display_mode: 'Display Mode',
  display_active: 'Display Active',
  persistence_mode: 'Persistence Mode',
  addressing_mode: 'Addressing Mode',
  'accounting.mode': 'Accounting Mode',
  'accounting.buffer_size': 'Accounting Mode Buffer Size',
  'driver_model.current': 'Driver Model/Current',
  'driver_model.pending': 'Driver Model/Pending',
  vbios_version: 'VBIOS Version',
  'inforom.img': 'Inforom Version/Image Version',
  'inforom.oem': 'Inforom Version/OEM Object',
  'inforom.ecc': 'Inforom Version/ECC Object',
  'inforom.pwr': 'Inforom Version/Power Management Object',
  'gom.current': 'GPU Operation Mode/Current',
  'gom.pending': 'GPU Operation Mode/Pending',
  'fan.speed': 'Fan Speed',
  pstate: 'Performance State',
  'clocks_event_reasons.gpu_idle': `${REASONS}/Idle`,
  'clocks_event_reasons.applications_clocks_setting': `${REASONS}/Applications Clocks Setting`,
  'clocks_event_reasons.sw_power_cap': `${REASONS}/SW Power Cap`,
  'clocks_event_reasons.hw_slowdown': `${REASONS}/HW Slowdown`,
  'clocks_event_reasons.hw_thermal_slowdown': `${REASONS}/HW Thermal Slowdown`,
  'clocks_event_reasons.hw_power_brake_slowdown': `${REASONS}/HW Power Brake Slowdown`,
  'clocks_event_reasons.sync_boost': `${REASONS}/Sync Boost`,
  'clocks_event_reasons.sw_thermal_slowdown': `${REASONS}/SW Thermal Slowdown`,
  'memory.total': 'FB Memory Usage/Total',
  'memory.reserved': 'FB Memory Usage/Reserved',
  'memory.used': 'FB Memory Usage/Used',
  'memory.free': 'FB Memory Usage/Free',
  compute_mode: 'Compute Mode',
  'utilization.gpu': 'Utilization/Gpu',
  'utilization.memory': 'Utilization/Memory',
  'utilization.encoder': 'Utilization/Encoder',
  'utilization.decoder': 'Utilization/Decoder',
  'utilization.jpeg': 'Utilization/JPEG',
  'utilization.ofa': 'Utilization/OFA',
  'encoder.stats.sessionCount': 'Encoder Stats/Active Sessions',
  'encoder.stats.averageFps': 'Encoder Stats/Average FPS',
  'encoder.stats.averageLatency': 'Encoder Stats/Average Latency',
  'ecc.mode.current': 'ECC Mode/Current',
  'ecc.mode.pending': 'ECC Mode/Pending',
  'temperature.gpu': 'Temperature/GPU Current Temp',
  'temperature.gpu.tlimit': 'Temperature/GPU T.Limit Temp',
  'temperature.memory': 'Temperature/Memory Current Temp',
  'power.draw': 'GPU Power Readings/Power Draw',
  'power.limit': 'GPU Power Readings/Requested Power Limit',
  'enforced.power.limit': 'GPU Power Readings/Current Power Limit',
  'power.default_limit': 'GPU Power Readings/Default Power Limit',
  'power.min_limit': 'GPU Power Readings/Min Power Limit',
  'power.max_limit': 'GPU Power Readings/Max Power Limit',
  'clocks.current.graphics': 'Clocks/Graphics',
  'clocks.current.sm': 'Clocks/SM',
  'clocks.current.memory': 'Clocks/Memory',
  'clocks.current.video': 'Clocks/Video',
  'clocks.max.graphics': 'Max Clocks/Graphics',
  'clocks.max.sm': 'Max Clocks/SM',
  'clocks.max.memory': 'Max Clocks/Memory',
  'mig.mode.current': 'MIG Mode/Current',
  'mig.mode.pending': 'MIG Mode/Pending',
  'c2c.mode': 'GPU C2C Mode',
  'protected_memory.total': 'Conf Compute Protected Memory Usage/Total',
  'protected_memory.used': 'Conf Compute Protected Memory Usage/Used',
  'protected_memory.free': 'Conf Compute Protected Memory Usage/Free',
};

/** Every help field for one `-q` GPU block, as `--format=csv` prints it; unmapped fields are `[N/A]`. */
export function fieldsFromQText(gpu: QTextGpu): Map<string, string> {
  const fields = new Map<string, string>();
  for (const field of fieldCatalog().fields) {
    const path = Q_PATHS[field];
    const raw = path === undefined ? undefined : gpu.values.get(path);
    fields.set(field, raw === undefined ? '[N/A]' : toCsvValue(field, raw));
  }
  return fields;
}

/** `-q` prints N/A bare, temperatures with " C" and link widths with "x"; CSV does neither. */
function toCsvValue(field: string, raw: string): string {
  if (raw === 'N/A') return '[N/A]';
  if (field.startsWith('temperature.')) return raw.replace(/ C$/, '');
  if (field.startsWith('pcie.link.width.')) return raw.replace(/x$/, '');
  return raw;
}
