# One customer-managed key per purpose, rotated yearly: data at rest (RDS, MemoryDB, EBS, S3,
# backups), Secrets Manager, and logs.

variable "name" {
  type = string
}

variable "deletion_window_in_days" {
  type    = number
  default = 30
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

# Account administrators manage the keys; CloudWatch Logs may use the logs key.
data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_111:A key policy's resource "*" means this key only; administration stays with the account
  #checkov:skip=CKV_AWS_356:A key policy's resource "*" means this key only
  #checkov:skip=CKV_AWS_109:Key administration by the account root is the AWS default and keeps the key recoverable
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.region}.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "this" {
  for_each                = toset(["data", "secrets", "logs"])
  description             = "${var.name} ${each.key}"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "this" {
  for_each      = aws_kms_key.this
  name          = "alias/${var.name}-${each.key}"
  target_key_id = each.value.key_id
}

output "data_key_arn" {
  value = aws_kms_key.this["data"].arn
}

output "secrets_key_arn" {
  value = aws_kms_key.this["secrets"].arn
}

output "logs_key_arn" {
  value = aws_kms_key.this["logs"].arn
}
