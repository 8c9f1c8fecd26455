/**
 * The response forms the API server renders on request (an Accept header with `as=`), each with
 * plain JSON as the fallback an older server answers with. One place, so every caller asks alike.
 */

/** What `kubectl get` prints: each kind's own columns, CRDs' additionalPrinterColumns included. */
export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

/** Lists with only each object's metadata: names and labels without the bodies. */
export const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

/** Aggregated discovery (one request for every group), v2 then v2beta1. */
export const AGGREGATED_DISCOVERY_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
