# -*- coding: utf-8 -*-
# Copyright: Ajuda Digital platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A paginated AWS read, whole, retried as one (what the collection's modules share).

A client made with ``retry_decorator`` retries only the calls given ``aws_retry=True``;
a paginator's calls are not among them. ``paginate`` retries the whole read (every page
again) on throttling and the other errors amazon.aws's ``AWSRetry.jittered_backoff`` retries.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


@AWSRetry.jittered_backoff()
def paginate(client, operation, **params):
    """Every page of ``operation`` with ``params``, merged (botocore's ``build_full_result``)."""
    return client.get_paginator(operation).paginate(**params).build_full_result()
