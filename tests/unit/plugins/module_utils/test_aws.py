# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of aws_client(): amazon.aws's module.client() on one shared botocore data loader.

They need boto3, which ``ansible-test units`` does not install: there they skip, and
``make units`` runs them with pytest in .venv (which has boto3).
"""

from __future__ import absolute_import, division, print_function

import pytest
from ansible_collections.ajudadigital.openwebui.plugins.module_utils import aws
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper

boto3 = pytest.importorskip("boto3")
Stubber = pytest.importorskip("botocore.stub").Stubber

PARAMS = dict(
    region="eu-west-1",
    endpoint_url="http://127.0.0.1:4566",
    access_key="AKIDTEST",
    secret_key="not-a-secret",
    session_token=None,
    profile=None,
    validate_certs=True,
    aws_ca_bundle=None,
    aws_config=None,
)


class Failed(Exception):
    pass


class FakeModule:
    """What module.client() reads of an AnsibleAWSModule: its params, its name, its failures."""

    _name = "ajudadigital.openwebui.test"

    def __init__(self, **params):
        self.params = dict(PARAMS, **params)

    def fail_json(self, **kwargs):
        raise Failed(kwargs)

    def fail_json_aws(self, exception, msg=None, **kwargs):
        raise Failed(dict(msg=msg, exception=exception))


@pytest.fixture(autouse=True)
def no_aws_environment(monkeypatch, tmp_path):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))


def view(client):
    """What a client was made with: region, endpoint, credentials, TLS check, configuration."""
    credentials = client._request_signer._credentials
    return dict(
        region=client.meta.region_name,
        endpoint=client.meta.endpoint_url,
        access_key=credentials.access_key,
        secret_key=credentials.secret_key,
        token=credentials.token,
        verify=client._endpoint.http_session._verify,
        user_agent=client.meta.config.user_agent,
        connect_timeout=client.meta.config.connect_timeout,
        retries=client.meta.config.retries,
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        dict(session_token="a-token", validate_certs=False),
        dict(aws_ca_bundle="/etc/ssl/certs/ca-certificates.crt"),
        dict(aws_config={"connect_timeout": 7, "retries": {"max_attempts": 2}}),
        dict(endpoint_url=None, region="us-east-2"),
    ],
)
def test_the_client_is_the_one_module_client_makes(params):
    module = FakeModule(**params)
    assert view(aws.aws_client(module, "ec2")) == view(AnsibleAWSModule.client(module, "ec2"))


def test_region_endpoint_and_credentials_pass_through():
    client = aws.aws_client(FakeModule(region="eu-central-1", endpoint_url="http://localhost:5000"), "sns")
    assert (client.meta.region_name, client.meta.endpoint_url) == ("eu-central-1", "http://localhost:5000")
    assert client._request_signer._credentials.access_key == "AKIDTEST"
    assert client.meta.config.user_agent.startswith("APN/1.0 Ansible/")


def test_clients_share_one_data_loader_and_its_search_paths_do_not_grow():
    first = aws.aws_client(FakeModule(), "ec2")
    paths = list(aws._DATA_LOADER.search_paths)
    second = aws.aws_client(FakeModule(region="us-west-2"), "ecs")
    assert first._loader is second._loader is aws._DATA_LOADER
    assert aws._DATA_LOADER.search_paths == paths
    assert boto3.session.Session().client("ec2", region_name="eu-west-1")._loader is not aws._DATA_LOADER


def test_the_retry_decorator_wraps_the_client_and_the_calls_go_through():
    wrapped = aws.aws_client(FakeModule(), "ec2", retry_decorator=AWSRetry.jittered_backoff())
    assert isinstance(wrapped, RetryingBotoClientWrapper)
    assert not isinstance(aws.aws_client(FakeModule(), "ec2"), RetryingBotoClientWrapper)
    with Stubber(wrapped.client) as stubber:
        stubber.add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-1"}]}, {"VpcIds": ["vpc-1"]})
        assert wrapped.describe_vpcs(aws_retry=True, VpcIds=["vpc-1"])["Vpcs"] == [{"VpcId": "vpc-1"}]


def test_no_region_fails_as_module_client_does():
    with pytest.raises(Failed) as info:
        aws.aws_client(FakeModule(region=None), "ec2")
    assert info.value.args[0]["msg"].startswith("The ajudadigital.openwebui.test module requires a region")


def test_an_unknown_profile_fails_as_module_client_does():
    module = FakeModule(profile="nobody", access_key=None, secret_key=None)
    with pytest.raises(Failed) as ours:
        aws.aws_client(module, "ec2")
    with pytest.raises(Failed) as theirs:
        AnsibleAWSModule.client(module, "ec2")
    assert ours.value.args[0]["msg"] == theirs.value.args[0]["msg"] == "Couldn't connect to AWS"
    assert type(ours.value.args[0]["exception"]) is type(theirs.value.args[0]["exception"])
