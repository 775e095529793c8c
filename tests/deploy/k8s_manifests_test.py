#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""deploy/k8s as a cluster would take it, without a cluster:

1. `kubectl kustomize` renders it;
2. `kubectl create --dry-run=client` decodes every object, against a small
   discovery server on loopback that knows exactly the kinds a cluster with
   the Prometheus operator has (kubectl maps kinds to resources through API
   discovery even in a client dry run); a wrong apiVersion must fail;
3. what the DaemonSet grants matches what the agent says it needs
   (`minewatch-agent --requirements` for the ConfigMap's config):
   capabilities, host paths, host network, probe and metrics ports, the
   mounted lists, memory; every check is also run on a drifted copy and
   must fail there;
4. the ConfigMaps' config, rules and feeds pass `minewatch-agent
   --check-config` laid out as the pod sees them;
5. the PrometheusRule passes `promtool check rules`, and its fleet alert
   `promtool test rules` on synthetic series (fleet_pattern_test.yaml).
6. deploy/k8s-fleet-share (the overlay for actions.fleet_share: on) the same
   way, and its API access against `--requirements`' api_access: the token
   mounted only where the config needs it, a Role granting exactly `patch`
   on the one ConfigMap minewatch-blocklist and nothing else, bound to the
   pod's ServiceAccount, the add-only admission policy aimed at that
   ConfigMap and that ServiceAccount; its config the base's with
   fleet_share on and nothing else changed; drifted copies caught.
No root needed; nothing leaves loopback."""

import argparse
import copy
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
K8S = os.path.normpath(os.path.join(HERE, "../../deploy/k8s"))
FLEET_SHARE = os.path.normpath(os.path.join(HERE, "../../deploy/k8s-fleet-share"))
FAILURES = []


def check(what, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail and not ok else ''}", flush=True)
    if not ok:
        FAILURES.append(what)
    return ok


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


# -- a discovery server --------------------------------------------------------

def resource(name, kind, namespaced=True):
    return {"name": name, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
            "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}


DISCOVERY = {
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        resource("namespaces", "Namespace", False), resource("serviceaccounts", "ServiceAccount"),
        resource("configmaps", "ConfigMap"), resource("services", "Service")]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": g, "versions": [{"groupVersion": f"{g}/v1", "version": "v1"}],
         "preferredVersion": {"groupVersion": f"{g}/v1", "version": "v1"}}
        for g in ("apps", "monitoring.coreos.com", "rbac.authorization.k8s.io", "admissionregistration.k8s.io")]},
    "/apis/apps/v1": {"kind": "APIResourceList", "groupVersion": "apps/v1", "resources": [
        resource("daemonsets", "DaemonSet")]},
    "/apis/monitoring.coreos.com/v1": {"kind": "APIResourceList", "groupVersion": "monitoring.coreos.com/v1",
                                       "resources": [resource("servicemonitors", "ServiceMonitor"),
                                                     resource("prometheusrules", "PrometheusRule")]},
    "/apis/rbac.authorization.k8s.io/v1": {"kind": "APIResourceList", "groupVersion": "rbac.authorization.k8s.io/v1",
                                           "resources": [resource("roles", "Role"),
                                                         resource("rolebindings", "RoleBinding"),
                                                         resource("clusterroles", "ClusterRole", False),
                                                         resource("clusterrolebindings", "ClusterRoleBinding", False)]},
    "/apis/admissionregistration.k8s.io/v1": {
        "kind": "APIResourceList", "groupVersion": "admissionregistration.k8s.io/v1",
        "resources": [resource("validatingadmissionpolicies", "ValidatingAdmissionPolicy", False),
                      resource("validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", False)]},
    "/version": {"major": "1", "minor": "32", "gitVersion": "v1.32.0"},
}


class Discovery(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = DISCOVERY.get(self.path.split("?")[0])
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body or {"kind": "Status", "code": 404}).encode())

    def log_message(self, *args):
        pass


def dry_run_create(text, kubeconfig):
    return run(["kubectl", "--kubeconfig", kubeconfig, "create", "--dry-run=client", "--validate=false",
                "-o", "name", "-f", "-"], input=text)


# -- drift checks ----------------------------------------------------------------

def find(docs, kind, name=None):
    for d in docs:
        if d and d.get("kind") == kind and (name is None or d["metadata"]["name"] == name):
            return d
    raise KeyError(f"no {kind} {name or ''}")


def memory_bytes(text):
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return int(text[: -len(suffix)]) * factor
    return int(text)


def drift(docs, needs):
    """Every way the manifests disagree with what the agent needs."""
    problems = []
    ds = find(docs, "DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    agent = pod["containers"][0]
    sec = agent.get("securityContext", {})
    caps = sec.get("capabilities", {})
    if sorted(caps.get("add", [])) != sorted(needs["capabilities"]):
        problems.append(f"capabilities {caps.get('add')} != needed {needs['capabilities']}")
    if caps.get("drop") != ["ALL"]:
        problems.append("capabilities are not dropped to none first")
    if sec.get("privileged"):
        problems.append("the pod is privileged")
    if sec.get("allowPrivilegeEscalation", True):
        problems.append("privilege escalation allowed")
    if bool(pod.get("hostNetwork")) != needs["host_network"]:
        problems.append("hostNetwork differs")
    mounts = {m["mountPath"]: m for m in agent.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for host in needs["host_paths"]:
        m = mounts.get(host["path"])
        if not m or volumes.get(m["name"], {}).get("hostPath", {}).get("path") != host["path"]:
            problems.append(f"host path {host['path']} not mounted from the host")
    http = needs["http"]
    if not http:
        problems.append("the config serves no metrics/health, yet the manifests probe them")
    else:
        ports = {p["name"]: p["containerPort"] for p in agent.get("ports", [])}
        if ports.get("metrics") != http["port"]:
            problems.append(f"container port 'metrics' {ports.get('metrics')} != agent's {http['port']}")
        for probe, path in (("livenessProbe", http["liveness"]), ("readinessProbe", http["readiness"])):
            get = agent.get(probe, {}).get("httpGet", {})
            if get.get("path") != path or get.get("port") not in ("metrics", http["port"]):
                problems.append(f"{probe} is not GET {path} on the metrics port")
        svc = find(docs, "Service")
        if not any(p.get("targetPort") in ("metrics", http["port"]) for p in svc["spec"]["ports"]):
            problems.append("the Service does not target the metrics port")
        monitor = find(docs, "ServiceMonitor")
        svc_port_names = {p["name"] for p in svc["spec"]["ports"]}
        for ep in monitor["spec"]["endpoints"]:
            if ep.get("port") not in svc_port_names or ep.get("path", "/metrics") != http["metrics"]:
                problems.append("the ServiceMonitor scrapes another port or path")
        selector = monitor["spec"]["selector"]["matchLabels"]
        if any(svc["metadata"]["labels"].get(k) != v for k, v in selector.items()):
            problems.append("the ServiceMonitor does not select the Service")
    for path in needs["watched_paths"] + [os.path.dirname(needs["config"])]:
        m = mounts.get(path)
        if not m:
            problems.append(f"{path} is not mounted")
        elif "subPath" in m:
            problems.append(f"{path} is a subPath mount: ConfigMap updates never reach it")
        elif "configMap" not in volumes.get(m["name"], {}):
            problems.append(f"{path} is not a ConfigMap volume")
    if os.path.dirname(needs["socket"]) not in mounts:
        problems.append("the control socket's directory is not writable (no volume)")
    problems += api_drift(docs, needs)
    limit = agent.get("resources", {}).get("limits", {}).get("memory")
    if not limit or memory_bytes(limit) < needs["memory_bytes"]:
        problems.append(f"memory limit {limit} below the agent's estimate {needs['memory_bytes']} B")
    return problems


def normalized(rules):
    return sorted(json.dumps({k: sorted(v) for k, v in r.items()}, sort_keys=True) for r in rules)


def api_drift(docs, needs):
    """Every way the API access granted differs from what the agent needs
    (--requirements' api_access: null, or the token path and the rules)."""
    problems = []
    pod = find(docs, "DaemonSet")["spec"]["template"]["spec"]
    sa_name = pod.get("serviceAccountName", "default")
    namespace = find(docs, "DaemonSet")["metadata"].get("namespace")
    sa = find(docs, "ServiceAccount", sa_name)
    token = pod.get("automountServiceAccountToken", sa.get("automountServiceAccountToken", True))
    api = needs.get("api_access")
    if api is None and token:
        problems.append("an API token is mounted, yet the agent never calls the API server")
    if api is not None and not token:
        problems.append("fleet_share needs the service-account token, and it is not mounted")
    if api is not None and api["service_account_token"] != "/var/run/secrets/kubernetes.io/serviceaccount":
        problems.append(f"the agent reads its token from {api['service_account_token']}, not where it is mounted")
    # Everything bound to the agent's ServiceAccount, through any binding.
    subject = {"kind": "ServiceAccount", "name": sa_name, "namespace": namespace}
    granted = []
    for binding in docs:
        if not binding or binding.get("kind") not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        if not any(all(s.get(k) == v for k, v in subject.items()) for s in binding.get("subjects", [])):
            continue
        ref = binding["roleRef"]
        if binding["kind"] == "ClusterRoleBinding" or ref["kind"] == "ClusterRole":
            problems.append(f"{binding['kind']} {binding['metadata']['name']} grants a ClusterRole")
            continue
        try:
            role = find(docs, "Role", ref["name"])
        except KeyError:
            problems.append(f"RoleBinding {binding['metadata']['name']} names no Role of these manifests")
            continue
        if role["metadata"].get("namespace") != binding["metadata"].get("namespace"):
            problems.append(f"Role {ref['name']} is in another namespace than its binding")
        granted += role.get("rules", [])
    wanted = api["rules"] if api else []
    if normalized(granted) != normalized(wanted):
        problems.append(f"the ServiceAccount is granted {granted}, the agent needs {wanted}")
    if api is not None:
        policy = next((d for d in docs if d and d.get("kind") == "ValidatingAdmissionPolicy"), None)
        binding = next((d for d in docs if d and d.get("kind") == "ValidatingAdmissionPolicyBinding"), None)
        user = f"system:serviceaccount:{namespace}:{sa_name}"
        if not policy or not binding:
            problems.append("no admission policy holds the agents to adding rules")
        else:
            rules = policy["spec"]["matchConstraints"]["resourceRules"]
            names = [n for r in rules for n in r.get("resourceNames", [])]
            if names != ["minewatch-blocklist"] or any(r["operations"] != ["UPDATE"] for r in rules):
                problems.append(f"the admission policy is not aimed at updates of minewatch-blocklist: {rules}")
            if not any(user in c["expression"] for c in policy["spec"].get("matchConditions", [])):
                problems.append(f"the admission policy does not match the agents' user {user}")
            if binding["spec"].get("policyName") != policy["metadata"]["name"] or \
                    binding["spec"].get("validationActions") != ["Deny"]:
                problems.append("the admission policy's binding does not deny through it")
    return problems


def drifted_copies(docs):
    """Copies of the manifests, each with one thing a careless edit changes."""
    def edit(label, change):
        copy_docs = copy.deepcopy(docs)
        change(find(copy_docs, "DaemonSet")["spec"]["template"]["spec"], copy_docs)
        return label, copy_docs

    agent = lambda pod: pod["containers"][0]  # noqa: E731
    return [
        edit("a capability dropped", lambda p, d: agent(p)["securityContext"]["capabilities"]["add"].remove("PERFMON")),
        edit("a capability added", lambda p, d: agent(p)["securityContext"]["capabilities"]["add"].append("SYS_ADMIN")),
        edit("privileged", lambda p, d: agent(p)["securityContext"].__setitem__("privileged", True)),
        edit("no BTF mount", lambda p, d: agent(p).__setitem__(
            "volumeMounts", [m for m in agent(p)["volumeMounts"] if m["mountPath"] != "/sys/kernel/btf"])),
        edit("probe on another port", lambda p, d: agent(p)["ports"][0].__setitem__("containerPort", 9999)),
        edit("lists by subPath", lambda p, d: agent(p)["volumeMounts"][4].__setitem__("subPath", "x")),
        edit("memory limit too low", lambda p, d: agent(p)["resources"]["limits"].__setitem__("memory", "64Mi")),
        edit("no hostNetwork", lambda p, d: p.__setitem__("hostNetwork", False)),
        edit("an API token mounted", lambda p, d: p.__setitem__("automountServiceAccountToken", True)),
    ]


def api_drifted_copies(docs):
    """Copies of the fleet-share manifests, each granting a little more (or
    less) than the agent needs."""
    def edit(label, change):
        copy_docs = copy.deepcopy(docs)
        change(copy_docs)
        return label, copy_docs

    role = lambda d: find(d, "Role", "minewatch-fleet-share")  # noqa: E731
    binding = lambda d: find(d, "RoleBinding", "minewatch-fleet-share")  # noqa: E731
    pod = lambda d: find(d, "DaemonSet")["spec"]["template"]["spec"]  # noqa: E731
    policy = lambda d: find(d, "ValidatingAdmissionPolicy")["spec"]  # noqa: E731
    return [
        edit("get added", lambda d: role(d)["rules"][0]["verbs"].append("get")),
        edit("update instead of patch", lambda d: role(d)["rules"][0].__setitem__("verbs", ["update"])),
        edit("every ConfigMap (no resourceNames)", lambda d: role(d)["rules"][0].pop("resourceNames")),
        edit("another ConfigMap too", lambda d: role(d)["rules"][0]["resourceNames"].append("minewatch-allowlist")),
        edit("secrets too", lambda d: role(d)["rules"][0]["resources"].append("secrets")),
        edit("a second rule", lambda d: role(d)["rules"].append(
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]})),
        edit("a ClusterRole bound", lambda d: d.append(
            {"kind": "ClusterRoleBinding", "metadata": {"name": "x"},
             "roleRef": {"kind": "ClusterRole", "name": "view", "apiGroup": "rbac.authorization.k8s.io"},
             "subjects": copy.deepcopy(binding(d)["subjects"])})),
        edit("bound to another ServiceAccount", lambda d: binding(d)["subjects"][0].__setitem__("name", "default")),
        edit("no token mounted", lambda d: pod(d).pop("automountServiceAccountToken")),
        edit("the policy on another ConfigMap", lambda d: policy(d)["matchConstraints"]["resourceRules"][0].__setitem__(
            "resourceNames", ["minewatch-allowlist"])),
        edit("the policy for another user", lambda d: policy(d)["matchConditions"][0].__setitem__(
            "expression", 'request.userInfo.username == "system:serviceaccount:kube-system:default"')),
        edit("no admission policy", lambda d: d.remove(find(d, "ValidatingAdmissionPolicy"))),
    ]


def check_fleet_share(args, base_docs, base_needs, kubeconfig, tmp):
    """deploy/k8s-fleet-share: the base plus API access for fleet_share."""
    rendered = run(["kubectl", "kustomize", FLEET_SHARE])
    if not check("kubectl kustomize renders deploy/k8s-fleet-share", rendered.returncode == 0, rendered.stderr):
        return
    docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    added = sorted(d["kind"] for d in docs)
    for d in base_docs:
        added.remove(d["kind"])
    check("it is the base plus a Role, its binding and the admission policy", added == sorted(
        ["Role", "RoleBinding", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]), str(added))
    created = dry_run_create(rendered.stdout, kubeconfig)
    names = created.stdout.split()
    check("kubectl create --dry-run=client decodes every object of it",
          created.returncode == 0 and len(names) == len(docs), created.stderr + created.stdout)
    check("... the policy cluster-wide (kustomize stamped no namespace on it)", not any(
        d["metadata"].get("namespace") for d in docs if d["kind"].startswith("ValidatingAdmissionPolicy")))

    text = find(docs, "ConfigMap", "minewatch-config")["data"]["agent.yaml"]
    # BaseLoader: "on" stays the string the agent reads, not YAML 1.1's True.
    config = yaml.load(text, Loader=yaml.BaseLoader)
    base_config = yaml.load(find(base_docs, "ConfigMap", "minewatch-config")["data"]["agent.yaml"],
                            Loader=yaml.BaseLoader)
    check("its config is the base's with fleet_share on, nothing else changed",
          config["actions"].pop("fleet_share", None) == "on" and config == base_config)
    config_path = os.path.join(tmp, "fleet-share.yaml")
    with open(config_path, "w") as f:
        f.write(text)
    req = run([args.agent, "--config", config_path, "--requirements"])
    if not check("the agent states its requirements for it", req.returncode == 0, req.stderr):
        return
    needs = json.loads(req.stdout)
    needs["config"] = "/etc/minewatch/config/agent.yaml"
    check("... and they ask for API access: patch on minewatch-blocklist", needs.get("api_access") is not None and
          normalized(needs["api_access"]["rules"]) == normalized(
              [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["minewatch-blocklist"],
                "verbs": ["patch"]}]), json.dumps(needs.get("api_access")))
    problems = drift(docs, needs)
    check("the overlay grants exactly what the agent needs, API access included", not problems, "; ".join(problems))
    problems = api_drift(docs, base_needs)
    check("... and the same grants would be drift for the base's config (fleet_share off)", bool(problems))
    for label, drifted in api_drifted_copies(docs):
        check(f"... and the check catches a drift: {label}", bool(api_drift(drifted, needs)))
    root = os.path.join(tmp, "pod-fleet-share")
    checked = run([args.agent, "--check-config", lay_out_configmaps(docs, root)])
    check("its ConfigMaps pass --check-config", checked.returncode == 0, checked.stdout + checked.stderr)


# -- the ConfigMaps as the pod sees them ----------------------------------------

def lay_out_configmaps(docs, root):
    """Writes each mounted ConfigMap's keys under root + mountPath; returns the
    config's path there, with /etc/minewatch paths moved under root."""
    ds = find(docs, "DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    for m in pod["containers"][0]["volumeMounts"]:
        cm = volumes[m["name"]].get("configMap")
        if not cm:
            continue
        target = root + m["mountPath"]
        os.makedirs(target, exist_ok=True)
        for key, value in (find(docs, "ConfigMap", cm["name"]).get("data") or {}).items():
            with open(os.path.join(target, key), "w") as f:
                f.write(value.replace("/etc/minewatch/", root + "/etc/minewatch/"))
    return root + "/etc/minewatch/config/agent.yaml"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agent", required=True, help="the minewatch-agent binary")
    args = parser.parse_args()

    rendered = run(["kubectl", "kustomize", K8S])
    if not check("kubectl kustomize renders deploy/k8s", rendered.returncode == 0, rendered.stderr):
        return 1
    docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    kinds = sorted(d["kind"] for d in docs)
    check("it holds the objects a node agent needs", kinds == sorted(
        ["Namespace", "ServiceAccount", "ConfigMap", "ConfigMap", "ConfigMap", "ConfigMap", "DaemonSet", "Service",
         "ServiceMonitor", "PrometheusRule"]), str(kinds))

    with tempfile.TemporaryDirectory(prefix="mw-k8s-") as tmp:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Discovery)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        kubeconfig = os.path.join(tmp, "kubeconfig")
        with open(kubeconfig, "w") as f:
            yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "stub",
                            "clusters": [{"name": "stub", "cluster": {
                                "server": f"http://127.0.0.1:{server.server_address[1]}"}}],
                            "contexts": [{"name": "stub", "context": {"cluster": "stub", "user": "stub"}}],
                            "users": [{"name": "stub", "user": {}}]}, f)
        created = dry_run_create(rendered.stdout, kubeconfig)
        names = created.stdout.split()
        check("kubectl create --dry-run=client decodes every object",
              created.returncode == 0 and len(names) == len(docs), created.stderr + created.stdout)
        check("... as the kinds the cluster knows", "daemonset.apps/minewatch" in names and
              "prometheusrule.monitoring.coreos.com/minewatch" in names, " ".join(names))
        wrong = rendered.stdout.replace("apiVersion: apps/v1", "apiVersion: apps/v1beta9")
        check("... and refuses a DaemonSet of an apiVersion no cluster serves",
              dry_run_create(wrong, kubeconfig).returncode != 0)

        config_map = find(docs, "ConfigMap", "minewatch-config")
        config_path = os.path.join(tmp, "agent.yaml")
        with open(config_path, "w") as f:
            f.write(config_map["data"]["agent.yaml"])
        req = run([args.agent, "--config", config_path, "--requirements"])
        if not check("the agent states its requirements for the ConfigMap's config", req.returncode == 0, req.stderr):
            return 1
        needs = json.loads(req.stdout)
        needs["config"] = "/etc/minewatch/config/agent.yaml"  # where the pod mounts it
        problems = drift(docs, needs)
        check("the DaemonSet grants exactly what the agent needs", not problems, "; ".join(problems))
        for label, drifted in drifted_copies(docs):
            check(f"... and the check catches a drift: {label}", bool(drift(drifted, needs)))

        root = os.path.join(tmp, "pod")
        mounted_config = lay_out_configmaps(docs, root)
        checked = run([args.agent, "--check-config", mounted_config])
        check("the ConfigMaps' config, rules and feeds pass --check-config", checked.returncode == 0,
              checked.stdout + checked.stderr)

        rules = find(docs, "PrometheusRule")
        rules_path = os.path.join(tmp, "rules.yaml")
        with open(rules_path, "w") as f:
            yaml.safe_dump(rules["spec"], f)
        promtool = run(["promtool", "check", "rules", rules_path])
        check("promtool check rules passes the PrometheusRule", promtool.returncode == 0,
              promtool.stdout + promtool.stderr)
        # The test file names rules.yaml beside itself.
        shutil.copy(os.path.join(HERE, "fleet_pattern_test.yaml"), tmp)
        unit = run(["promtool", "test", "rules", "fleet_pattern_test.yaml"], cwd=tmp)
        check("MinewatchFleetPattern fires at 3 clients on 2 nodes, not at 2 or on 1 node, and resolves",
              unit.returncode == 0, unit.stdout + unit.stderr)

        check_fleet_share(args, docs, needs, kubeconfig, tmp)
        server.shutdown()

    print(f"\n{'PASS' if not FAILURES else 'FAIL: ' + '; '.join(FAILURES)}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
