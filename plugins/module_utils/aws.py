# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The boto3 clients of the collection's modules: ``aws_client(module, service, retry_decorator)``.

It is amazon.aws's ``module.client()`` (AnsibleAWSModule): the same region, endpoint,
credentials or profile, CA bundle, ``validate_certs``, ``aws_config`` and user agent, read by
amazon.aws's own functions, the same failures and the same retry wrapper. One difference: the
botocore session uses one data loader for the whole Python process (created with the first
client). The loader reads and caches botocore's static data files (endpoints.json, 1.2 MB;
each service's model, ec2's 4 MB): no credentials, no configuration.

Under a persistent interpreter (mitogen's strategy in local mode and the tests, issue #16),
this module stays imported from one module run to the next, and so does the loader: the
next client of a service costs about 0.04 s instead of 0.1 to 0.27 s of reading and parsing
those files again. With a new Python per module run (ansible's own strategies) it changes
nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import boto3
    import botocore.config
    import botocore.exceptions
    import botocore.session
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import _get_user_agent_string
from ansible_collections.amazon.aws.plugins.module_utils.botocore import _merge_botocore_config
from ansible_collections.amazon.aws.plugins.module_utils.botocore import enable_placebo
from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

_DATA_LOADER = None  # the process's botocore data loader, made by the first aws_client()


def _session(profile):
    """A boto3 session (``profile``: None or a profile's name) whose botocore session uses the
    process's data loader."""
    global _DATA_LOADER
    botocore_session = botocore.session.get_session()
    if _DATA_LOADER is None:
        _DATA_LOADER = botocore_session.get_component("data_loader")
    botocore_session.register_component("data_loader", _DATA_LOADER)
    session = boto3.session.Session(botocore_session=botocore_session, profile_name=profile)
    # each boto3 session adds boto3's data directory to the loader's search paths: once is enough
    _DATA_LOADER.search_paths[:] = list(dict.fromkeys(_DATA_LOADER.search_paths))
    return session


def aws_client(module, service, retry_decorator=None):
    """The boto3 client of ``service`` for ``module`` (an AnsibleAWSModule), as its
    ``module.client(service, retry_decorator=...)`` makes it, on the shared data loader."""
    region, endpoint_url, connect_params = get_aws_connection_info(module)
    profile = connect_params.pop("profile_name", None)
    try:
        config = botocore.config.Config(user_agent=_get_user_agent_string())
        config = _merge_botocore_config(config, connect_params.pop("aws_config", None))
        session = _session(profile)
        enable_placebo(session)
        conn = session.client(service, config=config, region_name=region, endpoint_url=endpoint_url, **connect_params)
    except botocore.exceptions.NoRegionError:
        module.fail_json(
            msg="The {0} module requires a region and none was found in configuration, "
            "environment variables or module parameters".format(module._name)
        )
    except (ValueError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Couldn't connect to AWS")
    return conn if retry_decorator is None else RetryingBotoClientWrapper(conn, retry_decorator)


class ClientCalls(object):
    """A mixin for a module's API class that holds ``self.module`` and ``self.client``:
    ``self.call(method, what, **params)`` makes the call with the client's retries and fails the
    module with ``Failed to <what>`` on an AWS error."""

    def call(self, method, what, **params):
        try:
            return getattr(self.client, method)(aws_retry=True, **params)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
            self.module.fail_json_aws(e, msg="Failed to {0}".format(what))
