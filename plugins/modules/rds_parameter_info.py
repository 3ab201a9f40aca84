#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rds_parameter_info
short_description: Read the parameters of an RDS DB parameter group
version_added: 0.1.0
description:
  - Returns the parameters of a DB parameter group as RDS reports them (C(DescribeDBParameters),
    paginated), that is the engine defaults of its family and the values set in the group, with
    their source, allowed values and whether they can be modified.
  - amazon.aws has C(rds_instance_param_group_info) for the groups themselves, but no module
    that reads their parameters. Use it to check that a setting such as C(rds.force_ssl) holds.
author:
  - Ajuda Digital platform team (@ajudadigital)
options:
  name:
    description:
      - Name of the DB parameter group.
    type: str
    required: true
  source:
    description:
      - Only the parameters of this source; C(user) lists the values set in the group.
    type: str
    choices: [user, system, engine-default]
  names:
    description:
      - Only these parameters (all when empty). A name the group does not have is left out of
        RV(parameters) and listed in RV(missing).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read rds.force_ssl of the stack's parameter group
  ajudadigital.openwebui.rds_parameter_info:
    name: openwebui-prod-postgres16
    names: [rds.force_ssl]
  register: tls

- name: Fail unless the group forces TLS
  ansible.builtin.assert:
    that: tls.parameter_values['rds.force_ssl'] | default('') == '1'
"""

RETURN = r"""
parameters:
  description: The parameters, as RDS returns them (snake-cased keys), sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    parameter_name:
      description: Name of the parameter.
      type: str
      sample: rds.force_ssl
    parameter_value:
      description: Value of the parameter; absent when the engine default has none.
      type: str
      sample: "1"
    source:
      description: Where the value comes from (C(engine-default), C(system) or C(user)).
      type: str
      sample: user
    data_type:
      description: Type of the value (C(boolean), C(integer), C(string), C(list), C(float)).
      type: str
      sample: boolean
    allowed_values:
      description: The values RDS accepts.
      type: str
      sample: "0,1"
    is_modifiable:
      description: Whether the parameter can be changed.
      type: bool
      sample: true
    apply_type:
      description: C(static) (needs a reboot) or C(dynamic).
      type: str
      sample: dynamic
parameter_values:
  description: Name to value of the parameters that have a value.
  returned: always
  type: dict
  sample:
    rds.force_ssl: "1"
missing:
  description: The names of O(names) that the group does not have.
  returned: always
  type: list
  elements: str
  sample: []
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.aws import aws_client
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.ajudadigital.openwebui.plugins.module_utils.paging import paginate
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def describe_db_parameters(client, **params):
    return paginate(client, "describe_db_parameters", **params)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        source=dict(type="str", choices=["user", "system", "engine-default"]),
        names=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = dict(DBParameterGroupName=module.params["name"])
    if module.params["source"]:
        params["Source"] = module.params["source"]
    client = aws_client(module, "rds")
    try:
        found = describe_db_parameters(client, **params).get("Parameters", [])
    except is_boto3_error_code("DBParameterGroupNotFound"):
        module.fail_json(msg="name: no DB parameter group {0}".format(module.params["name"]))
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to read the parameters of {0}".format(module.params["name"]))
    wanted = set(module.params["names"])
    parameters = sorted(
        (camel_dict_to_snake_dict(p) for p in found if not wanted or p["ParameterName"] in wanted),
        key=lambda p: p["parameter_name"],
    )
    module.exit_json(
        changed=False,
        parameters=parameters,
        parameter_values=dict(
            (p["parameter_name"], p["parameter_value"]) for p in parameters if "parameter_value" in p
        ),
        missing=sorted(wanted - set(p["parameter_name"] for p in parameters)),
    )


if __name__ == "__main__":
    main()
