# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """How the Cognito modules of a pool's parts name that pool (argument spec: module_utils/cognito.py)."""

    DOCUMENTATION = r"""
options:
  user_pool_id:
    description:
      - ID of the user pool. One of O(user_pool_id) and O(user_pool_name) is required.
    type: str
  user_pool_name:
    description:
      - Name of the user pool, looked up with C(ListUserPools); it must name exactly one pool.
      - In check mode, a pool that does not exist yet is taken to be created by an earlier
        task, and the module reports a change.
    type: str
"""
