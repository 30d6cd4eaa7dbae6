"""What template.yaml promises about its resources (issue 12, item 8), read as the local stack reads it: the parts
the local stack cannot exercise (TLS, log retention, deletion protection, a prod-only rule) are pinned here."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from parley.adapters.s3 import EXPORT_TAG, UNINDEXED_TAG
from parley.domain.documents import UPLOADS_PREFIX

from local.stack.stack import ROOT
from local.template import Resolver, http_apis, http_routes, load_template, parameter_values

TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES = TEMPLATE["Resources"]


def _resolver(stage: str) -> Resolver:
    return Resolver(TEMPLATE, parameter_values(TEMPLATE, {"Stage": stage}), lambda logical_id, attribute: logical_id)


def _of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {logical_id: resource for logical_id, resource in RESOURCES.items() if resource["Type"] == kind}


@pytest.mark.parametrize("bucket", ["DocumentsBucket", "WebBucket"])
def test_each_bucket_refuses_every_request_without_tls(bucket: Any) -> None:
    policy = RESOURCES[f"{bucket}Policy"]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]

    assert policy["Properties"]["Bucket"] == {"Ref": bucket}
    assert {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [{"Fn::GetAtt": [bucket, "Arn"]}, {"Fn::Sub": f"${{{bucket}.Arn}}/*"}],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    } in [{key: value for key, value in statement.items() if key != "Sid"} for statement in statements]


def test_only_uploads_notify_ingest_and_expire_and_only_the_upload_function_may_write_them() -> None:
    # The local stack has no lifecycle, and a notification of a document's file would only be ignored there, so
    # what keeps uploads and documents' files apart in the bucket is pinned here.
    bucket = RESOURCES["DocumentsBucket"]["Properties"]
    (notification,) = bucket["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": UPLOADS_PREFIX}]
    expiring = [rule for rule in bucket["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in rule]
    assert [(rule["Prefix"], rule["TagFilters"]) for rule in expiring] == [
        (UPLOADS_PREFIX, [{"Key": UNINDEXED_TAG[0], "Value": UNINDEXED_TAG[1]}]),
        # Large conversation exports, by the tag they are written with, wherever under the tenants' files.
        ("tenants/", [{"Key": EXPORT_TAG[0], "Value": EXPORT_TAG[1]}]),
    ]
    writers = {
        logical_id: statement["Resource"]
        for logical_id, function in _of_type("AWS::Serverless::Function").items()
        for policy in function["Properties"].get("Policies", [])
        for statement in policy["Statement"]
        if "s3:PutObject" in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }
    assert writers == {
        "UploadFunction": {"Fn::Sub": "${DocumentsBucket.Arn}/" + UPLOADS_PREFIX + "*"},  # the presigned POST
        "CrawlFunction": {"Fn::Sub": "${DocumentsBucket.Arn}/" + UPLOADS_PREFIX + "*"},  # a page, as an upload
        "IngestFunction": {"Fn::Sub": "${DocumentsBucket.Arn}/tenants/*"},  # the copy of an upload it indexed
        "QueryFunction": {"Fn::Sub": "${DocumentsBucket.Arn}/tenants/*/chatbots/*/exports/*"},  # large exports
        "WebConfigFunction": {"Fn::Sub": "${WebBucket.Arn}/config.json"},  # the front ends' config, another bucket
    }


def test_the_web_files_are_private_and_read_only_by_the_distribution_over_https() -> None:
    bucket = RESOURCES["WebBucket"]["Properties"]
    readers = [
        statement
        for statement in RESOURCES["WebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
    ]
    distribution = RESOURCES["WebDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = distribution["Origins"]
    behaviors = [distribution["DefaultCacheBehavior"], *distribution["CacheBehaviors"]]

    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert readers == [
        {
            "Sid": "CloudFrontReads",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "${WebBucket.Arn}/*"},
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": {
                        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${WebDistribution}"
                    }
                }
            },
        }
    ]
    # Origin access control, not the legacy origin access identity
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["WebOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert RESOURCES["WebOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert distribution["DefaultRootObject"] == "index.html"
    assert {behavior["ViewerProtocolPolicy"] for behavior in behaviors} == {"https-only"}


def test_config_json_is_written_at_deploy_uncached_and_readable_from_any_website() -> None:
    (config,) = RESOURCES["WebDistribution"]["Properties"]["DistributionConfig"]["CacheBehaviors"]
    cors = RESOURCES["WebConfigHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["CorsConfig"]
    written = RESOURCES["WebConfig"]["Properties"]

    assert config["PathPattern"] == "/config.json"
    assert config["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    assert config["ResponseHeadersPolicyId"] == {"Ref": "WebConfigHeadersPolicy"}
    assert cors["AccessControlAllowOrigins"] == {"Items": ["*"]}
    assert written["ServiceToken"] == {"Fn::GetAtt": ["WebConfigFunction", "Arn"]}
    assert set(written) == {"ServiceToken", "ApiUrl", "PublicApiUrl", "WebsocketUrl", "Region", "UserPoolClientId"}


def test_the_web_config_function_may_write_config_json_and_nothing_else() -> None:
    function = RESOURCES["WebConfigFunction"]["Properties"]

    assert function["Policies"] == [
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:PutObject", "s3:DeleteObject"],
                    "Resource": {"Fn::Sub": "${WebBucket.Arn}/config.json"},
                }
            ]
        }
    ]


@pytest.mark.parametrize(
    ("listed", "allowed"),
    [("*", ["*"]), ("https://admin.example.com", ["https://WebDistribution", "https://admin.example.com"])],
)
def test_the_api_and_uploads_allow_the_consoles_cloudfront_origin(listed: Any, allowed: Any) -> None:
    resolver = Resolver(
        TEMPLATE,
        parameter_values(TEMPLATE, {"CorsAllowedOrigins": listed}),
        lambda logical_id, attribute: logical_id,  # WebDistribution.DomainName -> "WebDistribution"
    )
    api = resolver.resolve(RESOURCES["HttpApi"]["Properties"]["CorsConfiguration"])
    (uploads,) = resolver.resolve(RESOURCES["DocumentsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"])

    assert api["AllowOrigins"] == allowed
    assert uploads["AllowedOrigins"] == allowed


def test_every_function_has_a_log_group_with_retention() -> None:
    groups = {
        group["Properties"]["LogGroupName"]["Fn::Sub"]: group["Properties"]["RetentionInDays"]
        for group in _of_type("AWS::Logs::LogGroup").values()
    }

    assert groups == {
        f"/aws/lambda/${{{name}}}": {"Ref": "LogRetentionDays"} for name in _of_type("AWS::Serverless::Function")
    }


@pytest.mark.parametrize(("stage", "protected"), [("prod", True), ("dev", False)])
def test_table_and_user_pool_are_deletion_protected_in_prod(stage: Any, protected: Any) -> None:
    resolver = _resolver(stage)

    assert resolver.resolve(RESOURCES["Table"]["Properties"]["DeletionProtectionEnabled"]) is protected
    assert resolver.resolve(RESOURCES["UserPool"]["Properties"]["DeletionProtection"]) == (
        "ACTIVE" if protected else "INACTIVE"
    )


def test_prod_cannot_allow_every_origin() -> None:
    rule = TEMPLATE["Rules"]["ProdNamesItsOrigins"]
    profiles = tomllib.loads((ROOT / "samconfig.toml").read_text())
    prod = dict(pair.split("=", 1) for pair in profiles["prod"]["deploy"]["parameters"]["parameter_overrides"].split())

    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    assert [assertion["Assert"] for assertion in rule["Assertions"]] == [
        {"Fn::Not": [{"Fn::Contains": [{"Ref": "CorsAllowedOrigins"}, "*"]}]}
    ]
    assert prod["Stage"] == "prod"
    assert "*" not in prod["CorsAllowedOrigins"].split(",")


def test_sign_in_errors_do_not_tell_whether_a_user_exists() -> None:
    assert RESOURCES["UserPoolClient"]["Properties"]["PreventUserExistenceErrors"] == "ENABLED"


def test_every_queue_hides_a_message_at_least_as_long_as_its_function_may_run() -> None:
    # AWS refuses an SQS event source whose queue's visibility timeout is shorter than the function's timeout; the
    # local stack retries after seconds (a parameter it overrides), so only the deployed values can be checked.
    resolver = _resolver("prod")
    default_timeout = TEMPLATE["Globals"]["Function"]["Timeout"]
    checked = []
    for logical_id, function in _of_type("AWS::Serverless::Function").items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                queue = RESOURCES[event["Properties"]["Queue"]["Fn::GetAtt"][0]]
                visibility = int(resolver.resolve(queue["Properties"].get("VisibilityTimeout", 30)))
                timeout = int(function["Properties"].get("Timeout", default_timeout))
                checked.append(logical_id)
                assert visibility >= timeout, logical_id

    assert {"IngestFunction", "IngestDeadLetterFunction", "ErasureFunction", "CrawlFunction"} <= set(checked)


def test_visitors_call_an_api_open_to_every_origin_and_owners_one_open_to_the_consoles_only() -> None:
    # CORS is per HTTP API: the widget on any customer's site reads /public/* (each chatbot checks its own allowed
    # origins), while the owners' API answers only the origins of CorsAllowedOrigins (`*` refused in prod).
    routes = http_routes(TEMPLATE)
    apis = http_apis(TEMPLATE)

    assert {route.path for route in routes if route.api == "PublicApi"} == {
        route.path for route in routes if route.path.startswith("/public/")
    }
    assert all(route.authorizer is None for route in routes if route.api == "PublicApi")
    assert "Auth" not in apis["PublicApi"]
    assert apis["PublicApi"]["CorsConfiguration"]["AllowOrigins"] == ["*"]
    assert "authorization" not in apis["PublicApi"]["CorsConfiguration"]["AllowHeaders"]
    assert "*" not in str(apis["HttpApi"]["CorsConfiguration"]["AllowOrigins"]["Fn::If"][2])


def test_the_http_api_may_invoke_its_authorizer_and_the_authorizer_may_only_read_the_table() -> None:
    # The local stack invokes the authorizer without asking Lambda: without this permission AWS would answer 500.
    (authorizer,) = TEMPLATE["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"].values()
    function = authorizer["FunctionArn"]["Fn::GetAtt"][0]
    permissions = [
        resource["Properties"]
        for resource in _of_type("AWS::Lambda::Permission").values()
        if resource["Properties"]["FunctionName"] == {"Ref": function}
    ]

    assert [(p["Principal"], p["Action"]) for p in permissions] == [
        ("apigateway.amazonaws.com", "lambda:InvokeFunction")
    ]
    assert "${HttpApi}/authorizers/" in permissions[0]["SourceArn"]["Fn::Sub"]
    (policy,) = TEMPLATE["Resources"][function]["Properties"]["Policies"]
    assert [statement["Action"] for statement in policy["Statement"]] == ["dynamodb:GetItem"]
