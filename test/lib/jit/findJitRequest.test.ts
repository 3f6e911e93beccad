import { describe, expect, it } from 'vitest';
import { findJitRequest, singlePortsOf, type JitPolicyLike } from '../../../src/lib/jit/findJitRequest.js';
import { fixture } from '../../support/fixtures.js';

const documented = fixture<{ responses: { 200: { body: { properties: JitPolicyLike } } } }>(
  'azure/jit-policy-get.example.json',
);
const policy = documented.responses[200].body.properties;

describe('findJitRequest', () => {
  it('finds the documented request (barbara, port 3389, 192.127.0.2)', () => {
    expect(findJitRequest([policy], { vmName: 'vm1', ports: [3389], sources: ['192.127.0.2'] })).toEqual({
      requestor: 'barbara@contoso.com',
      justification: 'testing a new version of the product',
      startTimeUtc: '2018-05-17T08:06:45.5691611Z',
      endTimeUtc: '2018-05-17T09:06:45.5691611Z',
    });
  });

  it('does not attribute a rule to a request for another VM, port or source', () => {
    expect(
      findJitRequest([policy], { vmName: 'vm2', ports: [3389], sources: ['192.127.0.2'] }),
    ).toBeUndefined();
    expect(
      findJitRequest([policy], { vmName: 'vm1', ports: [22], sources: ['192.127.0.2'] }),
    ).toBeUndefined();
    expect(findJitRequest([policy], { vmName: 'vm1', ports: [3389], sources: ['*'] })).toBeUndefined();
  });

  it('matches any wildcard to any wildcard and picks the latest request (SDK Date values too)', () => {
    const vmId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/VM1';
    const policies: JitPolicyLike[] = [
      {
        requests: [
          {
            requestor: 'old@contoso.com',
            startTimeUtc: new Date('2026-01-01T00:00:00Z'),
            virtualMachines: [{ id: vmId, ports: [{ number: 22, allowedSourceAddressPrefix: 'Any' }] }],
          },
          {
            requestor: 'new@contoso.com',
            startTimeUtc: new Date('2026-02-01T00:00:00Z'),
            virtualMachines: [
              {
                id: vmId,
                ports: [
                  {
                    number: 22,
                    allowedSourceAddressPrefixes: ['10.0.0.1', '*'],
                    endTimeUtc: new Date('2026-02-01T03:00:00Z'),
                  },
                ],
              },
            ],
          },
        ],
      },
    ];
    expect(findJitRequest(policies, { vmName: 'vm1', ports: [22], sources: ['0.0.0.0/0'] })).toMatchObject({
      requestor: 'new@contoso.com',
      endTimeUtc: '2026-02-01T03:00:00.000Z',
    });
  });

  it('reads single ports and short ranges from destination port ranges', () => {
    expect(singlePortsOf(['22', '3389', '8000-8002', '1-65535', '*'])).toEqual([22, 3389, 8000, 8001, 8002]);
  });

  it('an empty requestor (as real policies have carried it) is no name', () => {
    const policies = [
      {
        name: 'default',
        virtualMachines: [],
        requests: [
          {
            requestor: '',
            justification: ' ',
            startTimeUtc: '2026-12-01T10:00:00Z',
            virtualMachines: [
              {
                id: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/vm1',
                ports: [{ number: 22, allowedSourceAddressPrefix: '*', endTimeUtc: '2026-12-01T13:00:00Z' }],
              },
            ],
          },
        ],
      },
    ];
    const match = findJitRequest(policies as never, { vmName: 'vm1', ports: [22], sources: ['*'] });
    expect(match).toBeDefined();
    expect(match?.requestor).toBeUndefined();
    expect(match?.justification).toBeUndefined();
  });
});
