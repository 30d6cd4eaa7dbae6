"""Creates, in moto, every resource template.yaml declares, in dependency order."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from local.template import ACCOUNT_ID, REGION, STACK_NAME, Resolver, TemplateError

# Resource types the local stack stands in for some other way (see ARCHITECTURE.md §5), or that have no
# local effect. Any type in neither this table nor Provisioner's creators stops the stack: nothing is
# skipped silently.
NOT_PROVISIONED = {
    "AWS::Serverless::Function": "run by the local runtime, in worker processes of its own",
    "AWS::Serverless::HttpApi": "served by the local gateway",
    "AWS::Serverless::LayerVersion": "the parley package is installed in the local environment",
    "AWS::CloudWatch::InsightRule": "no CloudWatch locally; the rules rank tenants from the functions' logs",
    "AWS::SNS::Topic": "no SNS locally: the critical alarm notifies no one",
    "AWS::SNS::TopicPolicy": "no SNS locally",
    "AWS::SNS::Subscription": "no SNS locally",
    "AWS::Logs::LogGroup": "logs go to the terminal locally",
    "AWS::S3::BucketPolicy": "TLS-only statements (the local stack speaks plain HTTP) and CloudFront's read access",
    "AWS::SQS::QueuePolicy": "moto does not check who may send to a queue",
    "AWS::ApiGatewayV2::Api": "the WebSocket API is served by the local gateway",
    "AWS::ApiGatewayV2::Stage": "the local gateway serves one stage",
    "AWS::ApiGatewayV2::Route": "served by the local gateway",
    "AWS::ApiGatewayV2::Integration": "the local gateway invokes the function through the local runtime",
    "AWS::ApiGatewayV2::Authorizer": "the local gateway invokes the authorizer through the local runtime",
    "AWS::Lambda::Permission": "no IAM locally",
    # The stack serves the web files itself (web.py): the console, widget.js, and config.json made from its
    # own URLs, which is what WebConfig writes in AWS.
    "AWS::CloudFront::Distribution": "the local stack serves the web files (web.py)",
    "AWS::CloudFront::OriginAccessControl": "no CloudFront locally",
    "AWS::CloudFront::ResponseHeadersPolicy": "web.py serves config.json with the same CORS header",
    "Custom::WebConfig": "web.py serves config.json made from the local stack's URLs",
}


class Provisioner:
    """Creates resources on demand: resolving a Ref to a resource not yet made creates it first. A resource that
    exists already (in a restored state, snapshot.py) is kept and read: new ones in the template still come in.
    """

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, Any], client: Callable[..., Any]):
        self.template = template
        self.client = client
        self.resolver = Resolver(template, parameters, self.lookup)
        self.created: dict[str, dict[str, Any]] = {}
        self._in_progress: set[str] = set()
        self._creators: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
            "AWS::DynamoDB::Table": self._table,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::SQS::Queue": self._queue,
            "AWS::S3::Bucket": self._bucket,
            # Evaluated and rendered by the local operator page (local/cloudwatch/: alarms.py, dashboards.py), not by
            # moto: only their names and ARNs are made here, for the references to them.
            "AWS::CloudWatch::Alarm": self._alarm,
            "AWS::CloudWatch::CompositeAlarm": self._alarm,
            "AWS::CloudWatch::Dashboard": self._dashboard,
        }

    def provision_all(self) -> dict[str, dict[str, Any]]:
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] in self._creators:
                self._create(logical_id)
            elif resource["Type"] not in NOT_PROVISIONED:
                raise TemplateError(f"{logical_id}: the local stack cannot stand in for {resource['Type']}")
        return self.created

    def lookup(self, logical_id: str, attribute: str | None) -> Any:
        """A resource's Ref (attribute None) or attribute, creating the resource first when needed."""
        if logical_id not in self.template["Resources"]:
            raise TemplateError(f"unknown resource or parameter {logical_id}")
        kind = self.template["Resources"][logical_id]["Type"]
        if kind == "AWS::Serverless::Function":
            # The name its workers run under (AWS_LAMBDA_FUNCTION_NAME): Powertools' ColdStart and the local Lambda
            # metrics name it so, as the dashboard's `${Function}` does.
            return logical_id
        if kind in NOT_PROVISIONED:
            return f"local-{logical_id}"  # e.g. the HTTP API's id in an output; nothing reads it locally
        attributes = self.created.get(logical_id) or self._create(logical_id)
        key = attribute or "Ref"
        if key not in attributes:
            raise TemplateError(f"{logical_id} has no attribute {key} in the local stack")
        return attributes[key]

    def _create(self, logical_id: str) -> dict[str, Any]:
        if logical_id in self.created:
            return self.created[logical_id]
        if logical_id in self._in_progress:
            raise TemplateError(f"circular reference through {logical_id}")
        self._in_progress.add(logical_id)
        try:
            resource = self.template["Resources"][logical_id]
            condition = resource.get("Condition")
            if condition and not self.resolver.condition(condition):
                attributes: dict[str, Any] = {}
            else:
                properties = self.resolver.resolve(resource.get("Properties", {}))
                attributes = self._creators[resource["Type"]](logical_id, properties)
        finally:
            self._in_progress.discard(logical_id)
        self.created[logical_id] = attributes
        return attributes

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"

    def _table(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        name = props.get("TableName", f"{STACK_NAME}-{logical_id}")
        keys = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes")
        options = {key: props[key] for key in keys if key in props}
        dynamodb = self.client("dynamodb")
        try:
            dynamodb.describe_table(TableName=name)
        except dynamodb.exceptions.ResourceNotFoundException:
            dynamodb.create_table(TableName=name, BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"), **options)
            ttl = props.get("TimeToLiveSpecification")
            if ttl and ttl.get("Enabled"):
                dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        return {"Ref": name, "Arn": self._arn("dynamodb", f"table/{name}")}

    def _user_pool(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        keys = ("Policies", "UsernameAttributes", "AutoVerifiedAttributes", "Schema", "AccountRecoverySetting")
        options = {key: props[key] for key in keys if key in props}
        name = props.get("UserPoolName", f"{STACK_NAME}-{logical_id}")
        cognito = self.client("cognito-idp")
        pools = cognito.get_paginator("list_user_pools").paginate(MaxResults=60)
        existing = [pool["Id"] for page in pools for pool in page["UserPools"] if pool["Name"] == name]
        if existing:
            pool = cognito.describe_user_pool(UserPoolId=existing[0])["UserPool"]
        else:
            pool = cognito.create_user_pool(PoolName=name, **options)["UserPool"]
        return {"Ref": pool["Id"], "Arn": pool["Arn"]}

    def _user_pool_client(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        keys = ("ExplicitAuthFlows", "GenerateSecret", "EnableTokenRevocation", "PreventUserExistenceErrors")
        options = {key: props[key] for key in keys if key in props}
        name = props.get("ClientName", logical_id)
        cognito = self.client("cognito-idp")
        clients = cognito.get_paginator("list_user_pool_clients").paginate(UserPoolId=props["UserPoolId"])
        existing = [
            client["ClientId"] for page in clients for client in page["UserPoolClients"] if client["ClientName"] == name
        ]
        if existing:
            return {"Ref": existing[0]}
        created = cognito.create_user_pool_client(UserPoolId=props["UserPoolId"], ClientName=name, **options)
        return {"Ref": created["UserPoolClient"]["ClientId"]}

    def _queue(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        name = props.get("QueueName", f"{STACK_NAME}-{logical_id}")
        attributes = {
            key: json.dumps(value) if isinstance(value, dict) else str(value)
            for key, value in props.items()
            if key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "RedrivePolicy")
        }
        sqs = self.client("sqs")
        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            if attributes:
                sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        except sqs.exceptions.QueueDoesNotExist:
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        return {"Ref": url, "QueueUrl": url, "QueueName": name, "Arn": self._arn("sqs", name)}

    def _alarm(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        name = props.get("AlarmName", f"{STACK_NAME}-{logical_id}")
        return {"Ref": name, "Arn": self._arn("cloudwatch", f"alarm:{name}")}

    def _dashboard(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        return {"Ref": props.get("DashboardName", f"{STACK_NAME}-{logical_id}")}

    def _bucket(self, logical_id: str, props: dict[str, Any]) -> dict[str, Any]:
        name = props.get("BucketName", f"{STACK_NAME}-{logical_id}".lower())
        s3 = self.client("s3")
        if name not in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}:
            s3.create_bucket(Bucket=name)
        cors = props.get("CorsConfiguration", {}).get("CorsRules")
        if cors:
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [_cors_rule(rule) for rule in cors]})
        queues = props.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
        if queues:
            s3.put_bucket_notification_configuration(
                Bucket=name,
                NotificationConfiguration={"QueueConfigurations": [_queue_notification(queue) for queue in queues]},
            )
        return {"Ref": name, "Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"}


_CORS_NAMES = {"Id": "ID", "ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds"}


def _cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's CorsRule in the shape of the S3 API."""
    return {_CORS_NAMES.get(key, key): value for key, value in rule.items()}


def _queue_notification(config: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's QueueConfiguration in the shape of the S3 API."""
    rules = config.get("Filter", {}).get("S3Key", {}).get("Rules", [])
    notification: dict[str, Any] = {"QueueArn": config["Queue"], "Events": [config["Event"]]}
    if rules:
        notification["Filter"] = {"Key": {"FilterRules": rules}}
    return notification
