"""The deployment template against the code it deploys.

cfn-lint checks that infra/template.yaml is valid CloudFormation; these tests
check what it cannot know: that every alarm and dashboard widget reads a
metric the function really emits (lambda/src/metrics/), with the exact
dimension set it is emitted with (CloudWatch matches a metric only with
all of its dimensions), that every alarm tells the on-call person what to
check first and says how it treats missing data, that the custom-domain
mode wires the variables the function reads, and that docs/operating.md
explains each alarm.

    python3 -m unittest discover -s tests/services -p 'test_*.py'
"""

import json
import re
import unittest
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"
GUIDE = ROOT / "docs" / "operating.md"
METRICS = ROOT / "lambda" / "src" / "metrics"
LAMBDA_SRC = ROOT / "lambda" / "src"

# The namespace expression every alarm and the dashboard use.
NAMESPACE = {
    "Fn::If": [
        "HasMetricsNamespace",
        {"Ref": "MetricsNamespace"},
        {"Ref": "AWS::StackName"},
    ]
}
# Variables the dashboard body may name.
DASHBOARD_VARIABLES = {"Namespace", "AWS::Region", "Function", "LogGroup"}


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags, read into their long forms."""


def _tag(loader, tag_suffix, node):
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_multi_constructor("!", _tag)


def load_template():
    return yaml.load(TEMPLATE.read_text(), Loader=_Loader)


def emitted_metrics():
    """{metric name: {dimension name: {values}} or {} without dimension},
    read from `Metric::parts` and `ROUTES` (metrics/event.rs) and `latency`
    (metrics/mod.rs)."""
    source = (METRICS / "event.rs").read_text() + (METRICS / "mod.rs").read_text()
    parts = source[source.index("pub fn parts") : source.index("pub const ROUTES")]
    metrics = {}
    for name in re.findall(r'\(\s*"([A-Za-z]+)",\s*None\s*\)', parts):
        metrics[name] = {}
    pattern = re.compile(
        r'\(\s*"([A-Za-z]+)",\s*Some\(\(\s*"([A-Za-z]+)",\s*match \w+ \{(.*?)\}', re.S
    )
    for name, key, arms in pattern.findall(parts):
        metrics[name] = {key: set(re.findall(r'=>\s*"([a-z_]+)"', arms))}
    routes = source[source.index("pub const ROUTES") :]
    routes = routes[: routes.index("];")]
    route_values = set(re.findall(r'"(/[^"]*)"', routes)) | {"other"}
    latency = re.search(r'emit\(\s*"(\w+)",\s*Value::Milliseconds.*?Some\(\("(\w+)", route\)\)', source, re.S)
    metrics[latency.group(1)] = {latency.group(2): route_values}
    return metrics


def resources_of(template, kind):
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def dashboard_body(template):
    """The dashboard's JSON with its `${...}` variables filled in."""
    (dashboard,) = resources_of(template, "AWS::CloudWatch::Dashboard").values()
    body, variables = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    named = set(re.findall(r"\$\{([^}]+)\}", body))
    return body, variables, named


class MetricsRsIsReadable(unittest.TestCase):
    def test_the_parser_finds_every_metric(self):
        # Guards the regular expressions above: a reformatted metrics module
        # must fail here, not make every other test vacuous.
        metrics = emitted_metrics()
        self.assertLessEqual(
            {
                "CodesSent",
                "DeliveryFailures",
                "Verifies",
                "Lockouts",
                "Refusals",
                "SignIns",
                "TokenExchanges",
                "Latency",
            },
            set(metrics),
        )
        self.assertIn("approved", metrics["Verifies"]["Outcome"])
        self.assertIn("/api/otp/send", metrics["Latency"]["Route"])
        self.assertEqual(metrics["CodesSent"], {})


class Alarms(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.template = load_template()
        cls.alarms = resources_of(cls.template, "AWS::CloudWatch::Alarm")
        cls.metrics = emitted_metrics()

    def test_the_alarms_the_operator_needs_exist(self):
        self.assertLessEqual(
            {
                "ErrorsAlarm",
                "ThrottlesAlarm",
                "Url5xxAlarm",
                "DeliveryFailuresAlarm",
                "ApprovalRatioAlarm",
                "SendsAlarm",
                "TokenErrorsAlarm",
                "RefusalsAlarm",
            },
            set(self.alarms),
        )

    def test_every_alarm_says_what_to_check_first(self):
        for name, alarm in self.alarms.items():
            description = alarm["Properties"].get("AlarmDescription", "")
            with self.subTest(alarm=name):
                self.assertRegex(description, r"Check first [^.]{10,}")
                self.assertLessEqual(len(description), 1024)

    def test_every_alarm_chooses_how_missing_data_counts(self):
        for name, alarm in self.alarms.items():
            with self.subTest(alarm=name):
                self.assertIn(
                    alarm["Properties"].get("TreatMissingData"),
                    {"breaching", "notBreaching", "ignore", "missing"},
                )

    def test_every_alarm_notifies_the_optional_topic(self):
        topic = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
        for name, alarm in self.alarms.items():
            with self.subTest(alarm=name):
                self.assertEqual(alarm["Properties"]["AlarmActions"], topic)
                self.assertEqual(alarm["Properties"]["OKActions"], topic)

    def _metric_stats(self):
        """(alarm, namespace, metric name, {dimension: value}) of every metric read."""
        for name, alarm in self.alarms.items():
            p = alarm["Properties"]
            if "MetricName" in p:
                dims = {d["Name"]: d["Value"] for d in p.get("Dimensions", [])}
                yield name, p["Namespace"], p["MetricName"], dims
            for query in p.get("Metrics", []):
                if "MetricStat" in query:
                    m = query["MetricStat"]["Metric"]
                    dims = {d["Name"]: d["Value"] for d in m.get("Dimensions", [])}
                    yield name, m["Namespace"], m["MetricName"], dims

    def test_every_metric_an_alarm_reads_is_emitted_with_that_dimension_set(self):
        seen = 0
        for alarm, namespace, metric, dims in self._metric_stats():
            with self.subTest(alarm=alarm, metric=metric, dimensions=dims):
                if isinstance(namespace, str) and namespace.startswith("AWS/"):
                    # AWS's own metrics: a function's are read per function.
                    if namespace == "AWS/Lambda":
                        self.assertEqual(set(dims), {"FunctionName"})
                    continue
                seen += 1
                self.assertEqual(namespace, NAMESPACE)
                self.assertIn(metric, self.metrics)
                emitted = self.metrics[metric]
                self.assertEqual(set(dims), set(emitted))
                for key, value in dims.items():
                    self.assertIn(value, emitted[key])
        self.assertGreater(seen, 0)

    def test_metric_math_names_only_its_own_queries(self):
        for name, alarm in self.alarms.items():
            queries = alarm["Properties"].get("Metrics")
            if not queries:
                continue
            ids = {q["Id"] for q in queries}
            returned = [q for q in queries if q.get("ReturnData", True)]
            with self.subTest(alarm=name):
                self.assertEqual(len(returned), 1, "an alarm evaluates exactly one query")
                expression = returned[0]["Expression"]
                if isinstance(expression, dict):
                    expression = expression["Fn::Sub"]
                used = set(re.findall(r"\b([a-z][a-zA-Z0-9_]*)\b", expression))
                self.assertTrue(used, expression)
                self.assertLessEqual(used, ids, expression)
                self.assertLessEqual(len(queries), 10)

    def test_the_approval_ratio_is_guarded_by_a_minimum_volume(self):
        alarm = self.alarms["ApprovalRatioAlarm"]["Properties"]
        (ratio,) = [q for q in alarm["Metrics"] if q.get("ReturnData", True)]
        expression = ratio["Expression"]["Fn::Sub"]
        self.assertIn("${ApprovalRatioMinSends}", expression)
        self.assertTrue(expression.startswith("IF("), expression)
        self.assertEqual(alarm["ComparisonOperator"], "LessThanThreshold")
        self.assertEqual(alarm["TreatMissingData"], "notBreaching")

    def test_thresholds_are_parameters(self):
        parameters = self.template["Parameters"]
        for name in [
            "DeliveryFailuresAlarm",
            "ApprovalRatioAlarm",
            "SendsAlarm",
            "TokenErrorsAlarm",
            "RefusalsAlarm",
        ]:
            threshold = self.alarms[name]["Properties"]["Threshold"]
            with self.subTest(alarm=name):
                self.assertIn(threshold["Ref"], parameters)

    def test_the_operators_guide_explains_every_alarm(self):
        guide = GUIDE.read_text()
        for name in self.alarms:
            with self.subTest(alarm=name):
                self.assertTrue(
                    re.search(rf"(?m)^#+ .*`{name}`", guide),
                    f"docs/operating.md has no heading naming `{name}`",
                )


class Dashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.template = load_template()
        cls.metrics = emitted_metrics()
        cls.body, cls.variables, cls.named = dashboard_body(cls.template)
        filled = re.sub(r"\$\{[^}]+\}", "x", cls.body)
        cls.parsed = json.loads(filled)
        cls.raw = json.loads(cls.body)

    def test_the_body_names_only_known_variables(self):
        self.assertLessEqual(self.named, DASHBOARD_VARIABLES)
        self.assertEqual(self.variables, {"Namespace": NAMESPACE})

    def test_every_service_metric_it_graphs_is_emitted_with_that_dimension_set(self):
        graphed = set()
        for widget in self.raw["widgets"]:
            for row in widget["properties"].get("metrics", []):
                strings = [x for x in row if isinstance(x, str)]
                if not strings:
                    continue  # an expression
                namespace, metric, *pairs = strings
                dims = dict(zip(pairs[::2], pairs[1::2]))
                with self.subTest(metric=metric, dimensions=dims):
                    if namespace.startswith("AWS/"):
                        if namespace == "AWS/Lambda":
                            self.assertEqual(set(dims), {"FunctionName"})
                        continue
                    self.assertEqual(namespace, "${Namespace}")
                    self.assertIn(metric, self.metrics)
                    emitted = self.metrics[metric]
                    self.assertEqual(set(dims), set(emitted))
                    for key, value in dims.items():
                        self.assertIn(value, emitted[key])
                        graphed.add((metric, key, value))
                    if not dims:
                        graphed.add((metric, None, None))
        # Every metric and every dimension value has a line somewhere.
        for metric, emitted in self.metrics.items():
            for key, values in emitted.items():
                for value in values:
                    with self.subTest(missing=(metric, key, value)):
                        self.assertIn((metric, key, value), graphed)
            if not emitted:
                self.assertIn((metric, None, None), graphed)

    def test_latency_shows_p50_and_p99(self):
        stats = {
            w["properties"].get("stat")
            for w in self.raw["widgets"]
            if any("Latency" in row for row in w["properties"].get("metrics", []))
        }
        self.assertLessEqual({"p50", "p99"}, stats)

    def test_the_approval_ratio_is_metric_math_over_emitted_metrics(self):
        for widget in self.raw["widgets"]:
            metrics = widget["properties"].get("metrics", [])
            expressions = [row[0]["expression"] for row in metrics if isinstance(row[0], dict)]
            if any("approved" in e and "sent" in e for e in expressions):
                ids = {row[-1].get("id") for row in metrics if isinstance(row[-1], dict)}
                self.assertLessEqual({"sent", "approved"}, ids)
                return
        self.fail("no approval ratio widget")

    def test_cold_starts_come_from_the_functions_log_group(self):
        queries = [
            w["properties"]["query"] for w in self.raw["widgets"] if w["type"] == "log"
        ]
        self.assertTrue(queries)
        self.assertTrue(any("SOURCE '${LogGroup}'" in q and "initDuration" in q for q in queries))


class CustomDomain(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.template = load_template()
        cls.env = cls.template["Resources"]["Function"]["Properties"]["Environment"]["Variables"]

    def test_every_variable_the_template_sets_is_read_by_the_function(self):
        source = "\n".join(p.read_text() for p in LAMBDA_SRC.rglob("*.rs"))
        for name in self.env:
            if name == "RUST_LOG":
                continue
            with self.subTest(variable=name):
                self.assertIn(f'"{name}"', source)

    def test_the_domain_mode_trusts_the_viewer_address_only_with_the_origin_secret(self):
        header = self.env["OTP_CLIENT_IP_HEADER"]["Fn::If"]
        self.assertEqual(header[:2], ["HasDomain", "CloudFront-Viewer-Address"])
        secret = self.env["OTP_ORIGIN_VERIFY_SECRET"]["Fn::If"]
        self.assertEqual(secret[0], "HasDomain")
        distribution = self.template["Resources"]["Distribution"]
        self.assertEqual(distribution["Condition"], "HasDomain")
        (origin,) = distribution["Properties"]["DistributionConfig"]["Origins"]
        (custom,) = origin["OriginCustomHeaders"]
        self.assertEqual(custom["HeaderName"], "X-Origin-Verify")
        # The same secret on both sides.
        self.assertEqual(custom["HeaderValue"], secret[1])

    def test_api_routes_are_not_cached_and_host_is_not_forwarded(self):
        config = self.template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
        default = config["DefaultCacheBehavior"]
        # Managed CachingDisabled and AllViewerExceptHostHeader.
        self.assertEqual(default["CachePolicyId"], "4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
        self.assertEqual(default["OriginRequestPolicyId"], "b689b0a8-53d0-40ab-baf2-68738e2966ac")
        self.assertEqual(len(default["AllowedMethods"]), 7)
        for behavior in config.get("CacheBehaviors", []):
            with self.subTest(path=behavior["PathPattern"]):
                self.assertNotIn("api", behavior["PathPattern"])
                self.assertNotIn("well-known", behavior["PathPattern"])
                self.assertEqual(behavior["AllowedMethods"], ["GET", "HEAD"])

    def test_every_domain_resource_is_conditional(self):
        for name in ["Distribution", "OriginVerifySecret"]:
            with self.subTest(resource=name):
                self.assertEqual(self.template["Resources"][name]["Condition"], "HasDomain")

    def test_the_domain_sets_issuer_and_web_host(self):
        issuer = self.env["OTP_ISSUER"]["Fn::If"]
        self.assertEqual(issuer[:2], ["HasDomain", {"Fn::Sub": "https://${DomainName}"}])
        web_host = self.env["OTP_WEB_HOST"]["Fn::If"][2]["Fn::If"]
        self.assertEqual(web_host[:2], ["HasDomain", {"Ref": "DomainName"}])


if __name__ == "__main__":
    unittest.main()
