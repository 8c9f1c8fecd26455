// KWOK's port-forward emulation for the port_forward tools' tests: a port of any pod KWOK plays is
// forwarded by KWOK (playing the kubelet) to a TCP server the test itself runs on 127.0.0.1, so real
// bytes go local listener → WebSocket → API server → KWOK → test server and back. Every namespace
// matches, so tests keep their own namespaces; other ports of a pod are not forwarded (KWOK answers
// "no forward found" on the error channel).
//
// The ports are fixed (not picked at run time) because the whole KWOK configuration is fingerprinted:
// a config that changed every run would restart the cluster every run. They sit below Linux's ephemeral
// range (32768-60999), so an outgoing connection never holds one.

/**
 * Pod port → the local port KWOK dials for it. `echo` and `http` are served by the tests; nothing ever
 * listens on `refused`'s target, so a connection to that pod port fails on KWOK's side (the error channel).
 */
export const PORT_FORWARD_TARGETS = {
  echo: { podPort: 7000, targetPort: 29471 },
  http: { podPort: 8080, targetPort: 29472 },
  refused: { podPort: 9000, targetPort: 29479 },
} as const;

export function kwokPortForwardDocs(): object[] {
  return [
    {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'ClusterPortForward',
      metadata: { name: 'kz-port-forward' },
      spec: {
        forwards: Object.values(PORT_FORWARD_TARGETS).map((t) => ({ ports: [t.podPort], target: { port: t.targetPort, address: '127.0.0.1' } })),
      },
    },
  ];
}
