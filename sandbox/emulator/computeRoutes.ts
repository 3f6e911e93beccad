import { armError, decode, page, route, type EmulatorCore, type Route } from './routing.js';
import { key, type VmRecord } from './state.js';

const VM_PATH = '/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines';
const NIC_PATH = '/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/networkInterfaces';

/** Read-only VMs and their NICs (what a JIT requester may read), shaped like ARM's. */
export function computeRoutes(core: EmulatorCore): Route[] {
  const vms = (s: string, rg: string) =>
    [...core.state.vms.values()].filter((vm) =>
      key(vm.id).startsWith(key(`/subscriptions/${s}/resourceGroups/${rg}/`)),
    );
  const vmJson = (vm: VmRecord) => ({
    id: vm.id,
    name: vm.name,
    type: 'Microsoft.Compute/virtualMachines',
    location: vm.location,
    properties: {
      provisioningState: 'Succeeded',
      hardwareProfile: { vmSize: 'Standard_B2s' },
      networkProfile: { networkInterfaces: [{ id: vm.nicId, properties: { primary: true } }] },
    },
  });
  const nicJson = (vm: VmRecord) => ({
    id: vm.nicId,
    name: vm.nicId.split('/').pop(),
    type: 'Microsoft.Network/networkInterfaces',
    location: vm.location,
    properties: {
      provisioningState: 'Succeeded',
      ipConfigurations: [
        {
          id: `${vm.nicId}/ipConfigurations/ipconfig1`,
          name: 'ipconfig1',
          properties: { privateIPAddress: vm.privateIp, privateIPAllocationMethod: 'Dynamic', primary: true },
        },
      ],
      networkSecurityGroup: { id: vm.nsgId },
      virtualMachine: { id: vm.id },
    },
  });
  const find = (predicate: (vm: VmRecord) => boolean) => [...core.state.vms.values()].find(predicate);
  const notFound = (type: string, name: string, rg: string) =>
    armError(
      404,
      'ResourceNotFound',
      `The Resource '${type}/${name}' under resource group '${rg}' was not found.`,
    );

  return [
    route('GET', VM_PATH, (ctx, [s = '', rg = '']) =>
      page(vms(decode(s), decode(rg)).map(vmJson), ctx, core),
    ),
    route('GET', `${VM_PATH}/{vm}`, (_ctx, [s = '', rg = '', name = '']) => {
      const vm = find(
        (v) =>
          key(v.id) ===
          key(`${VM_PATH.replace('{s}', decode(s)).replace('{rg}', decode(rg))}/${decode(name)}`),
      );
      return vm
        ? { status: 200, body: vmJson(vm) }
        : notFound('Microsoft.Compute/virtualMachines', decode(name), decode(rg));
    }),
    route('GET', NIC_PATH, (ctx, [s = '', rg = '']) =>
      page(vms(decode(s), decode(rg)).map(nicJson), ctx, core),
    ),
    route('GET', `${NIC_PATH}/{nic}`, (_ctx, [, rg = '', name = '']) => {
      const vm = find(
        (v) =>
          key(v.nicId).endsWith(`/${decode(name).toLowerCase()}`) &&
          key(v.nicId).includes(`/resourcegroups/${decode(rg).toLowerCase()}/`),
      );
      return vm
        ? { status: 200, body: nicJson(vm) }
        : notFound('Microsoft.Network/networkInterfaces', decode(name), decode(rg));
    }),
  ];
}
