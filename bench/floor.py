"""The floor of the deploy benchmark: the stack's create calls, made directly with boto3.

``python -m bench.floor`` (with the AWS_* variables of the local services) creates what a
first deploy of ``site.yml -i inventories/local`` creates, layer by layer, one call per
write the playbook makes (the list comes from the emulator's request log of a real
deploy; ``python -m bench`` prints both counts side by side), with tags passed in the
create call where the API takes them (the modules often tag in a second call). Reads
only where a call needs an ID that its create call did not return. No waiting: the floor runs against
an emulator without simulated provisioning, and it skips the database SQL steps (a few
statements against PostgreSQL, milliseconds). What it costs is what the API calls cost.
"""

from __future__ import annotations

import datetime
import json
import os
import sys

import boto3

STACK = "openwebui-local"
TAGS = {"Stack": STACK, "Environment": "local", "ManagedBy": "ansible"}
AZS = ["us-east-1a", "us-east-1b"]


def tag_list(extra: dict | None = None, key: str = "Key", value: str = "Value") -> list[dict]:
    return [{key: k, value: v} for k, v in {**TAGS, **(extra or {})}.items()]


def ec2_tags(kind: str, name: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": tag_list({"Name": name})}]


def trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def policy(actions: list[str], resource: str = "*") -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}
    )


def self_signed() -> tuple[bytes, bytes]:
    """A self-signed certificate and its key (PEM), as the load_balancer role makes one."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "openwebui.local.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("openwebui.local.test")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


class Floor:
    def __init__(self) -> None:
        self.session = boto3.session.Session(region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
        self._clients: dict[str, object] = {}
        self.ids: dict[str, object] = {}

    def client(self, name: str):
        if name not in self._clients:
            self._clients[name] = self.session.client(name)
        return self._clients[name]

    # -- network ------------------------------------------------------------------
    def vpc(self) -> None:
        ec2 = self.client("ec2")
        vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=ec2_tags("vpc", STACK))["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
        subnets: dict[str, list[str]] = {"public": [], "private": [], "database": []}
        for tier_index, tier in enumerate(subnets):
            for az_index, az in enumerate(AZS):
                cidr = f"10.0.{(tier_index * 2 + az_index) * 16}.0/20"
                subnet = ec2.create_subnet(
                    VpcId=vpc_id,
                    CidrBlock=cidr,
                    AvailabilityZone=az,
                    TagSpecifications=ec2_tags("subnet", f"{STACK}-{tier}-{az}"),
                )
                subnets[tier].append(subnet["Subnet"]["SubnetId"])
        igw = ec2.create_internet_gateway(TagSpecifications=ec2_tags("internet-gateway", STACK))
        igw_id = igw["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
        nats = []
        for az, subnet_id in zip(AZS, subnets["public"], strict=True):
            eip = ec2.allocate_address(Domain="vpc", TagSpecifications=ec2_tags("elastic-ip", f"{STACK}-nat-{az}"))
            nat = ec2.create_nat_gateway(
                SubnetId=subnet_id,
                AllocationId=eip["AllocationId"],
                TagSpecifications=ec2_tags("natgateway", f"{STACK}-nat-{az}"),
            )
            nats.append(nat["NatGateway"]["NatGatewayId"])
        tables = [("public", subnets["public"], {"GatewayId": igw_id})]
        tables += [
            (f"private-{az}", [s], {"NatGatewayId": n}) for az, s, n in zip(AZS, subnets["private"], nats, strict=True)
        ]
        tables += [("database", subnets["database"], None)]
        for name, subnet_ids, target in tables:
            table_id = ec2.create_route_table(
                VpcId=vpc_id, TagSpecifications=ec2_tags("route-table", f"{STACK}-{name}")
            )["RouteTable"]["RouteTableId"]
            if target:
                ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", **target)
            for subnet_id in subnet_ids:
                ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
        default_sg = ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"][0]["GroupId"]
        ec2.revoke_security_group_egress(
            GroupId=default_sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        )
        # flow log: log group, IAM role + policy, flow log
        logs, iam = self.client("logs"), self.client("iam")
        group = f"/vpc/{STACK}/flow-logs"
        logs.create_log_group(logGroupName=group, tags=TAGS)
        logs.put_retention_policy(logGroupName=group, retentionInDays=30)
        role = iam.create_role(
            RoleName=f"{STACK}-flow-logs",
            AssumeRolePolicyDocument=trust("vpc-flow-logs.amazonaws.com"),
            Tags=tag_list(),
        )
        iam.put_role_policy(
            RoleName=f"{STACK}-flow-logs", PolicyName="flow-logs", PolicyDocument=policy(["logs:PutLogEvents"])
        )
        ec2.create_flow_logs(
            ResourceIds=[vpc_id],
            ResourceType="VPC",
            TrafficType="ALL",
            LogGroupName=group,
            DeliverLogsPermissionArn=role["Role"]["Arn"],
            TagSpecifications=ec2_tags("vpc-flow-log", STACK),
        )
        self.ids.update(vpc=vpc_id, subnets=subnets)

    def security(self) -> None:
        ec2, iam, kms, sm = (self.client(n) for n in ("ec2", "iam", "kms", "secretsmanager"))
        vpc_id = self.ids["vpc"]
        groups = {}
        for name in ("alb", "app", "db", "efs", "cache"):
            groups[name] = ec2.create_security_group(
                GroupName=f"{STACK}-{name}",
                Description=f"{STACK} {name}",
                VpcId=vpc_id,
                TagSpecifications=ec2_tags("security-group", f"{STACK}-{name}"),
            )["GroupId"]

        def rule(port: int, source: str) -> list[dict]:
            return [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [{"GroupId": source}]}]

        for name, port in (("db", 5432), ("efs", 2049), ("cache", 6379)):
            ec2.authorize_security_group_ingress(GroupId=groups[name], IpPermissions=rule(port, groups["app"]))
            ec2.revoke_security_group_egress(
                GroupId=groups[name], IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
            )
        ec2.authorize_security_group_ingress(GroupId=groups["app"], IpPermissions=rule(8080, groups["alb"]))
        ec2.authorize_security_group_egress(
            GroupId=groups["app"],
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
                *rule(5432, groups["db"]),
                *rule(2049, groups["efs"]),
                *rule(6379, groups["cache"]),
            ],
        )
        ec2.revoke_security_group_egress(
            GroupId=groups["app"], IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        )
        ec2.authorize_security_group_ingress(
            GroupId=groups["alb"],
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
                for p in (80, 443)
            ],
        )
        ec2.authorize_security_group_egress(GroupId=groups["alb"], IpPermissions=rule(8080, groups["app"]))
        ec2.revoke_security_group_egress(
            GroupId=groups["alb"], IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        )
        key = kms.create_key(Description=STACK, Tags=tag_list(key="TagKey", value="TagValue"))["KeyMetadata"]
        kms.create_alias(AliasName=f"alias/{STACK}", TargetKeyId=key["KeyId"])
        kms.enable_key_rotation(KeyId=key["KeyId"])
        roles = {}
        for name in ("task-execution", "task"):
            roles[name] = iam.create_role(
                RoleName=f"{STACK}-{name}",
                AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"),
                Tags=tag_list(),
            )["Role"]["Arn"]
            iam.put_role_policy(
                RoleName=f"{STACK}-{name}", PolicyName=name, PolicyDocument=policy(["secretsmanager:GetSecretValue"])
            )
        secrets = {}
        for name in ("webui-secret-key", "oauth-client-secret"):
            secrets[name] = sm.create_secret(
                Name=f"{STACK}/{name}", SecretString=os.urandom(24).hex(), KmsKeyId=key["Arn"], Tags=tag_list()
            )["ARN"]
        self.ids.update(groups=groups, kms=key["Arn"], roles=roles, secrets=secrets)

    # -- data -----------------------------------------------------------------------
    def database(self) -> None:
        rds, sm = self.client("rds"), self.client("secretsmanager")
        password = os.urandom(16).hex()
        sm.create_secret(Name=f"{STACK}/db-master", SecretString=password, KmsKeyId=self.ids["kms"], Tags=tag_list())
        rds.create_db_subnet_group(
            DBSubnetGroupName=STACK,
            DBSubnetGroupDescription=STACK,
            SubnetIds=self.ids["subnets"]["database"],
            Tags=tag_list(),
        )
        rds.create_db_parameter_group(
            DBParameterGroupName=STACK, DBParameterGroupFamily="postgres16", Description=STACK, Tags=tag_list()
        )
        instance = rds.create_db_instance(
            DBInstanceIdentifier=STACK,
            DBInstanceClass="db.r7g.large",
            Engine="postgres",
            EngineVersion="16.4",
            AllocatedStorage=200,
            StorageType="gp3",
            StorageEncrypted=True,
            KmsKeyId=self.ids["kms"],
            MultiAZ=True,
            DBSubnetGroupName=STACK,
            VpcSecurityGroupIds=[self.ids["groups"]["db"]],
            DBParameterGroupName=STACK,
            PubliclyAccessible=False,
            MasterUsername="openwebui_admin",
            MasterUserPassword=password,
            BackupRetentionPeriod=7,
            CopyTagsToSnapshot=True,
            Tags=tag_list(),
        )["DBInstance"]
        endpoint = instance.get("Endpoint", {}).get("Address", "localhost")
        url = f"postgresql://openwebui:{password}@{endpoint}:5432/openwebui"
        for name, value in (("db-app", password), ("database-url", url)):
            sm.create_secret(Name=f"{STACK}/{name}", SecretString=value, KmsKeyId=self.ids["kms"], Tags=tag_list())

    def storage(self) -> None:
        s3, efs = self.client("s3"), self.client("efs")
        bucket = f"{STACK}-data"
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list()})
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": self.ids["kms"],
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        s3.put_bucket_policy(
            Bucket=bucket,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "TLSOnly",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            ),
        )
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "noncurrent",
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                    }
                ]
            },
        )
        fs = efs.create_file_system(
            CreationToken=STACK,
            PerformanceMode="generalPurpose",
            Encrypted=True,
            KmsKeyId=self.ids["kms"],
            Tags=tag_list({"Name": STACK}),
        )
        efs.put_lifecycle_configuration(
            FileSystemId=fs["FileSystemId"], LifecyclePolicies=[{"TransitionToIA": "AFTER_30_DAYS"}]
        )
        for subnet_id in self.ids["subnets"]["private"]:
            efs.create_mount_target(
                FileSystemId=fs["FileSystemId"], SubnetId=subnet_id, SecurityGroups=[self.ids["groups"]["efs"]]
            )
        efs.create_access_point(
            FileSystemId=fs["FileSystemId"],
            PosixUser={"Uid": 0, "Gid": 0},
            RootDirectory={"Path": "/data", "CreationInfo": {"OwnerUid": 0, "OwnerGid": 0, "Permissions": "0750"}},
            Tags=tag_list(),
        )

    def cache(self) -> None:
        cache, sm = self.client("elasticache"), self.client("secretsmanager")
        cache.create_cache_subnet_group(
            CacheSubnetGroupName=STACK,
            CacheSubnetGroupDescription=STACK,
            SubnetIds=self.ids["subnets"]["private"],
        )
        cache.create_cache_cluster(
            CacheClusterId=STACK,
            Engine="redis",
            EngineVersion="7.1",
            CacheNodeType="cache.t4g.micro",
            NumCacheNodes=1,
            Port=6379,
            CacheSubnetGroupName=STACK,
            SecurityGroupIds=[self.ids["groups"]["cache"]],
        )
        sm.create_secret(
            Name=f"{STACK}/redis-url", SecretString=f"redis://{STACK}:6379/0", KmsKeyId=self.ids["kms"], Tags=tag_list()
        )

    def registry(self) -> None:
        ecr = self.client("ecr")
        ecr.create_repository(
            repositoryName=f"{STACK}/open-webui",
            imageTagMutability="IMMUTABLE",
            imageScanningConfiguration={"scanOnPush": True},
            encryptionConfiguration={"encryptionType": "KMS", "kmsKey": self.ids["kms"]},
            tags=[{"Key": k, "Value": v} for k, v in TAGS.items()],
        )
        ecr.put_lifecycle_policy(
            repositoryName=f"{STACK}/open-webui",
            lifecyclePolicyText=json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20},
                            "action": {"type": "expire"},
                        }
                    ]
                }
            ),
        )

    # -- edge ---------------------------------------------------------------------------
    def load_balancer(self) -> None:
        acm, elb = self.client("acm"), self.client("elbv2")
        cert, key = self_signed()
        cert_arn = acm.import_certificate(Certificate=cert, PrivateKey=key, Tags=tag_list())["CertificateArn"]
        tg = elb.create_target_group(
            Name=f"{STACK}-app",
            Protocol="HTTP",
            Port=8080,
            VpcId=self.ids["vpc"],
            TargetType="ip",
            HealthCheckPath="/health",
            Tags=tag_list(),
        )["TargetGroups"][0]["TargetGroupArn"]
        elb.modify_target_group_attributes(
            TargetGroupArn=tg, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "120"}]
        )
        alb = elb.create_load_balancer(
            Name=STACK,
            Subnets=self.ids["subnets"]["public"],
            SecurityGroups=[self.ids["groups"]["alb"]],
            Scheme="internet-facing",
            Type="application",
            Tags=tag_list(),
        )["LoadBalancers"][0]
        elb.modify_load_balancer_attributes(
            LoadBalancerArn=alb["LoadBalancerArn"],
            Attributes=[{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}],
        )
        elb.create_listener(
            LoadBalancerArn=alb["LoadBalancerArn"],
            Protocol="HTTPS",
            Port=443,
            SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
            Certificates=[{"CertificateArn": cert_arn}],
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
        )
        elb.create_listener(
            LoadBalancerArn=alb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[
                {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
            ],
        )
        self.ids.update(target_group=tg, alb=alb["LoadBalancerArn"])

    def auth(self) -> None:
        idp, sm = self.client("cognito-idp"), self.client("secretsmanager")
        pool = idp.create_user_pool(
            PoolName=STACK,
            AutoVerifiedAttributes=["email"],
            UsernameAttributes=["email"],
            MfaConfiguration="OFF",
            UserPoolTags=TAGS,
        )["UserPool"]["Id"]
        client = idp.create_user_pool_client(
            UserPoolId=pool,
            ClientName=STACK,
            GenerateSecret=True,
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid", "email", "profile"],
            AllowedOAuthFlowsUserPoolClient=True,
            CallbackURLs=["https://openwebui.local.test/oauth/oidc/login/callback"],
            SupportedIdentityProviders=["COGNITO"],
        )["UserPoolClient"]
        idp.create_user_pool_domain(UserPoolId=pool, Domain=STACK)
        for group in ("admin", "user"):
            idp.create_group(UserPoolId=pool, GroupName=group)
        sm.update_secret(SecretId=self.ids["secrets"]["oauth-client-secret"], SecretString=client["ClientSecret"])

    # -- service ----------------------------------------------------------------------
    def ecs_service(self) -> None:
        ecs, logs, aas = self.client("ecs"), self.client("logs"), self.client("application-autoscaling")
        group = f"/ecs/{STACK}"
        logs.create_log_group(logGroupName=group, kmsKeyId=self.ids["kms"], tags=TAGS)
        logs.put_retention_policy(logGroupName=group, retentionInDays=30)
        ecs.create_cluster(
            clusterName=STACK,
            settings=[{"name": "containerInsights", "value": "enabled"}],
            tags=[{"key": k, "value": v} for k, v in TAGS.items()],
        )
        task = ecs.register_task_definition(
            family=STACK,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="1024",
            memory="2048",
            executionRoleArn=self.ids["roles"]["task-execution"],
            taskRoleArn=self.ids["roles"]["task"],
            containerDefinitions=[
                {
                    "name": "open-webui",
                    "image": "ghcr.io/open-webui/open-webui:main",
                    "essential": True,
                    "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {
                            "awslogs-group": group,
                            "awslogs-region": "us-east-1",
                            "awslogs-stream-prefix": "app",
                        },
                    },
                }
            ],
            tags=[{"key": k, "value": v} for k, v in TAGS.items()],
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(
            cluster=STACK,
            serviceName=STACK,
            taskDefinition=task,
            desiredCount=2,
            launchType="FARGATE",
            loadBalancers=[
                {"targetGroupArn": self.ids["target_group"], "containerName": "open-webui", "containerPort": 8080}
            ],
            healthCheckGracePeriodSeconds=120,
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": self.ids["subnets"]["private"],
                    "securityGroups": [self.ids["groups"]["app"]],
                    "assignPublicIp": "DISABLED",
                }
            },
            deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
            propagateTags="SERVICE",
            tags=[{"key": k, "value": v} for k, v in TAGS.items()],
        )
        resource = f"service/{STACK}/{STACK}"
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=resource,
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=2,
            MaxCapacity=6,
        )
        for name, metric in (
            ("cpu", "ECSServiceAverageCPUUtilization"),
            ("memory", "ECSServiceAverageMemoryUtilization"),
        ):
            aas.put_scaling_policy(
                PolicyName=f"{STACK}-{name}",
                ServiceNamespace="ecs",
                ResourceId=resource,
                ScalableDimension="ecs:service:DesiredCount",
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration={
                    "TargetValue": 60.0,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
                },
            )

    # -- operations -----------------------------------------------------------------------
    def monitoring(self) -> None:
        logs, sns, cw = self.client("logs"), self.client("sns"), self.client("cloudwatch")
        logs.put_metric_filter(
            logGroupName=f"/ecs/{STACK}",
            filterName=f"{STACK}-errors",
            filterPattern="ERROR",
            metricTransformations=[{"metricName": "AppErrors", "metricNamespace": STACK, "metricValue": "1"}],
        )
        topic = sns.create_topic(Name=f"{STACK}-alarms", Tags=tag_list())["TopicArn"]
        sns.set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue=self.ids["kms"])
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@openwebui.local.test")
        alarms = [
            ("AWS/ECS", "CPUUtilization"),
            ("AWS/ECS", "MemoryUtilization"),
            ("ECS/ContainerInsights", "RunningTaskCount"),
            ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
            ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
            ("AWS/ApplicationELB", "UnHealthyHostCount"),
            ("AWS/ApplicationELB", "TargetResponseTime"),
            ("AWS/RDS", "CPUUtilization"),
            ("AWS/RDS", "FreeStorageSpace"),
            ("AWS/RDS", "FreeableMemory"),
            ("AWS/RDS", "DatabaseConnections"),
            ("AWS/ElastiCache", "EngineCPUUtilization"),
            (STACK, "AppErrors"),
        ]
        for index, (namespace, metric) in enumerate(alarms):
            cw.put_metric_alarm(
                AlarmName=f"{STACK}-{index}-{metric}",
                Namespace=namespace,
                MetricName=metric,
                Statistic="Average",
                Period=300,
                EvaluationPeriods=2,
                Threshold=85.0,
                ComparisonOperator="GreaterThanThreshold",
                AlarmActions=[topic],
                OKActions=[topic],
                Tags=tag_list(),
            )
        cw.put_dashboard(DashboardName=STACK, DashboardBody=json.dumps({"widgets": []}))

    def backup(self) -> None:
        iam, backup = self.client("iam"), self.client("backup")
        role = iam.create_role(
            RoleName=f"{STACK}-backup", AssumeRolePolicyDocument=trust("backup.amazonaws.com"), Tags=tag_list()
        )["Role"]["Arn"]
        for name in ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"):
            iam.attach_role_policy(RoleName=f"{STACK}-backup", PolicyArn=f"arn:aws:iam::aws:policy/service-role/{name}")
        backup.create_backup_vault(BackupVaultName=STACK, EncryptionKeyArn=self.ids["kms"], BackupVaultTags=TAGS)
        plan = backup.create_backup_plan(
            BackupPlan={
                "BackupPlanName": STACK,
                "Rules": [
                    {
                        "RuleName": "daily",
                        "TargetBackupVaultName": STACK,
                        "ScheduleExpression": "cron(0 3 * * ? *)",
                        "Lifecycle": {"DeleteAfterDays": 35},
                    }
                ],
            },
            BackupPlanTags=TAGS,
        )["BackupPlanId"]
        backup.create_backup_selection(
            BackupPlanId=plan,
            BackupSelection={
                "SelectionName": STACK,
                "IamRoleArn": role,
                "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "Stack", "ConditionValue": STACK}],
            },
        )


LAYERS = (
    "vpc",
    "security",
    "database",
    "storage",
    "cache",
    "registry",
    "load_balancer",
    "auth",
    "ecs_service",
    "monitoring",
    "backup",
)


def main() -> int:
    floor = Floor()
    for layer in LAYERS:
        getattr(floor, layer)()
    return 0


if __name__ == "__main__":
    sys.exit(main())
