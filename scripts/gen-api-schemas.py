#!/usr/bin/env python3
"""Writes crates/kubectl/src/schema.txt: the API type schemas kubeplay serves at /openapi/v3
and `kubectl explain` prints from (crates/kubectl/src/schema.rs reads the format).

Inputs (registry packages, unpacked by hand; see the module doc of schema.rs):
  KV  = kubernetes-validate 1.37.0 (PyPI): kubernetes-json-schema/v1.35.0-local/_definitions.json
        (Kubernetes 1.35's definitions: fields, types, required, patch/list extensions, docs)
  KM  = kubernetes-models 5.1.0 (npm): its .d.ts doc comments carry the "Possible enum
        values" paragraphs the definitions above lack; enum values are read from them.
Usage: python3 scripts/gen-api-schemas.py KV_DEFINITIONS_JSON KM_PACKAGE_DIR > crates/kubectl/src/schema.txt
"""
import json, os, re, sys

defs = json.load(open(sys.argv[1]))['$defs']
km = sys.argv[2]

# The kinds kubeplay serves (crates/engine/src/kinds.rs).
ROOTS = [
    'api.core.v1.Namespace', 'api.core.v1.Node', 'api.core.v1.Pod', 'api.core.v1.Service',
    'api.core.v1.Endpoints', 'api.discovery.v1.EndpointSlice',
    'api.core.v1.PersistentVolumeClaim', 'api.core.v1.PersistentVolume',
    'api.storage.v1.StorageClass', 'api.core.v1.ConfigMap', 'api.core.v1.Secret',
    'api.core.v1.ServiceAccount', 'api.core.v1.Event', 'api.apps.v1.StatefulSet',
    'api.apps.v1.ControllerRevision', 'api.apps.v1.Deployment', 'api.apps.v1.ReplicaSet',
    'api.apps.v1.DaemonSet', 'api.policy.v1.PodDisruptionBudget',
]
# Types whose documentation is kept whole; the others keep their first sentence (the
# bundle carries the texts the tutorials' fields need, not all 270 KB of them).
FULL = re.compile(r'^api\.(apps\.v1\..*|policy\.v1\..*|core\.v1\.(Pod|PodSpec|PodTemplateSpec|Container|ContainerPort|'
                  r'VolumeMount|EnvVar|Probe|HTTPGetAction|ExecAction|TCPSocketAction|ResourceRequirements|'
                  r'PersistentVolumeClaim|PersistentVolumeClaimSpec|PersistentVolumeClaimTemplate|'
                  r'VolumeResourceRequirements|PersistentVolumeClaimVolumeSource|Service|ServiceSpec|ServicePort))$'
                  r'|^apimachinery\.pkg\.(apis\.meta\.v1\.(ObjectMeta|LabelSelector|LabelSelectorRequirement)|util\.intstr\.IntOrString)$')

# Texts the definitions above leave out (their oneOf types carry no description).
EXTRA_DOCS = {
    # Its first paragraph only (the rest is the serialization grammar).
    'apimachinery.pkg.api.resource.Quantity': 'Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.',
    'apimachinery.pkg.util.intstr.IntOrString': 'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
}

def short(n):
    assert n.startswith('io.k8s.'), n
    return n[len('io.k8s.'):]

def ref_name(r):
    return short(r.split('/')[-1])

def closure():
    seen, todo = [], list(ROOTS)
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.append(n)
        out = []
        def walk(s):
            if isinstance(s, dict):
                for k, v in s.items():
                    if k == '$ref':
                        out.append(ref_name(v))
                    else:
                        walk(v)
            elif isinstance(s, list):
                for x in s:
                    walk(x)
        walk(defs['io.k8s.' + n])
        todo += out
    return sorted(seen)

def dts_path(n):
    parts = n.split('.')
    kind = parts[-1]
    if n.startswith('api.core.v1.'):
        return os.path.join(km, 'v1', kind + '.d.ts')
    groups = {'apps': 'apps', 'policy': 'policy', 'discovery': 'discovery.k8s.io',
              'storage': 'storage.k8s.io'}
    if n.startswith('api.') and parts[1] in groups:
        return os.path.join(km, groups[parts[1]], parts[2], kind + '.d.ts')
    return None

def dts_docs(n):
    """field name -> doc comment text of the first interface in the model's .d.ts."""
    p = dts_path(n)
    if not p or not os.path.exists(p):
        return {}
    text = open(p).read()
    m = re.search(r'export interface \w+[^{]*\{(.*?)\n\}', text, re.S)
    if not m:
        return {}
    out = {}
    for doc, name in re.findall(r'/\*\*\n(.*?)\n\s*\*/\n\s*"([^"]+)"\??:', m.group(1), re.S):
        lines = []
        for l in doc.split('\n'):
            l = l.strip()
            l = l[1:] if l.startswith('*') else l
            lines.append(l[1:] if l.startswith(' ') else l)
        out[name] = '\n'.join(lines).replace('*\\/', '*/').replace('\\*', '*')
    return out

def first_sentence(text):
    para = text.split('\n')[0]
    m = re.search(r'\.(\s+)(?=[A-Z`"])', para)
    return para[:m.start() + 1] if m else para

def typ(s):
    if '$ref' in s:
        return '>' + ref_name(s['$ref'])
    t = s.get('type')
    if isinstance(t, list):
        t = [x for x in t if x != 'null'][0]
    if t == 'array':
        return '[]' + typ(s['items'])
    if t == 'object' and isinstance(s.get('additionalProperties'), dict):
        return '{}' + typ(s['additionalProperties'])
    if 'oneOf' in s:
        return 'oneOf:' + '|'.join(sorted(typ(x) for x in s['oneOf']))
    if t is None:
        return 'any'
    return t + ('/' + s['format'] if 'format' in s else '')

def exts(s):
    out = []
    for key, short_key in [('x-kubernetes-patch-merge-key', 'pmk'), ('x-kubernetes-patch-strategy', 'ps'),
                           ('x-kubernetes-list-type', 'lt'), ('x-kubernetes-map-type', 'mt')]:
        if key in s:
            out.append(f'{short_key}={s[key]}')
    if 'x-kubernetes-list-map-keys' in s:
        out.append('lmk=' + ','.join(s['x-kubernetes-list-map-keys']))
    return out

def doc_lines(text):
    lines = text.split('\n')
    return ['D ' + lines[0]] + ['|' + ('' if l == '' else ' ' + l) for l in lines[1:]]

ENUM_RE = re.compile(r'^ - `"(.*?)"`', re.M)
stats = {'enum': 0, 'mismatch': 0}
print('# Generated by scripts/gen-api-schemas.py (Kubernetes 1.35 API types); do not edit by hand.')
for n in closure():
    s = defs['io.k8s.' + n]
    full = bool(FULL.match(n))
    head = typ({k: v for k, v in s.items() if k != 'properties'}) if 'properties' not in s else 'object'
    print(f'T {n} {head}')
    for g in s.get('x-kubernetes-group-version-kind', []):
        print(f"G {g['group']} {g['version']} {g['kind']}")
    if s.get('required'):
        print('R ' + ','.join(s['required']))
    desc = s.get('description') or EXTRA_DOCS.get(n)
    if desc:
        print('\n'.join(doc_lines(desc if full else first_sentence(desc))))
    docs = dts_docs(n)
    for f, fs in sorted(s.get('properties', {}).items()):
        d = fs.get('description', '')
        alt = docs.get(f)
        enum = []
        if alt and alt != d:
            if alt.startswith(d) and alt[len(d):].startswith('\n\nPossible enum values:'):
                d = alt
                stats['enum'] += 1
            elif '\n\nPossible enum values:' in alt:
                # The models are of another release: keep 1.35's text, take the enum paragraph.
                d = d + '\n\nPossible enum values:' + alt.split('\n\nPossible enum values:', 1)[1]
                stats['mismatch'] += 1
                print(f'enum from another text: {n}.{f}', file=sys.stderr)
        if '\n\nPossible enum values:' in d:
            enum = ENUM_RE.findall(d.split('\n\nPossible enum values:', 1)[1])
        e = exts(fs)
        if enum:
            e.append('enum=' + '|'.join(enum))
        if 'enum' in fs and f not in ('apiVersion', 'kind'):
            print(f'schema enum {n}.{f}', file=sys.stderr)
        print(' '.join([f'F {f}', typ(fs)] + e))
        if d:
            if not full:
                keep = first_sentence(d)
                d = keep
            print('\n'.join(doc_lines(d)))
print(stats, file=sys.stderr)
