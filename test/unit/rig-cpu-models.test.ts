/** The rig's capabilities cache without some CPU models (withoutCpuModels), on a cache file's own layout. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withoutCpuModels } from '../rig/cpu-models.js';

const cache = `<qemuCaps>
  <emulator>/usr/bin/qemu-system-x86_64</emulator>
  <cpu type='kvm' name='Westmere-v1' typename='Westmere-v1-x86_64-cpu' usable='no'>
    <blocker name='pclmulqdq'/>
  </cpu>
  <cpu type='kvm' name='Westmere' typename='Westmere-x86_64-cpu' usable='no'>
    <blocker name='pclmulqdq'/>
    <blocker name='aes'/>
  </cpu>
  <cpu type='kvm' name='Nehalem' typename='Nehalem-x86_64-cpu' usable='yes'/>
  <cpu type='tcg' name='Westmere-IBRS' typename='Westmere-IBRS-x86_64-cpu' usable='no'>
    <blocker name='spec-ctrl'/>
  </cpu>
  <cpu type='tcg' name='Westmere' typename='Westmere-x86_64-cpu' usable='yes'/>
  <cpu type='tcg' name='Nehalem' typename='Nehalem-x86_64-cpu' usable='yes'/>
</qemuCaps>
`;

describe('withoutCpuModels', () => {
  it('leaves out the named models in every accelerator, blockers and all, and nothing else', () => {
    assert.equal(
      withoutCpuModels(cache, ['Westmere']),
      `<qemuCaps>
  <emulator>/usr/bin/qemu-system-x86_64</emulator>
  <cpu type='kvm' name='Westmere-v1' typename='Westmere-v1-x86_64-cpu' usable='no'>
    <blocker name='pclmulqdq'/>
  </cpu>
  <cpu type='kvm' name='Nehalem' typename='Nehalem-x86_64-cpu' usable='yes'/>
  <cpu type='tcg' name='Westmere-IBRS' typename='Westmere-IBRS-x86_64-cpu' usable='no'>
    <blocker name='spec-ctrl'/>
  </cpu>
  <cpu type='tcg' name='Nehalem' typename='Nehalem-x86_64-cpu' usable='yes'/>
</qemuCaps>
`,
    );
  });
});
