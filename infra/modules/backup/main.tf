# AWS Backup: daily and weekly recovery points of the database in a locked vault, each copied to
# a vault in the disaster-recovery region (beside the RDS automated-backup replication, which
# gives point-in-time restore there). MemoryDB keeps its own daily snapshots (memorydb module);
# the journal's money is also in the PostgreSQL ledger once settled.

variable "name" {
  type = string
}

variable "resource_arns" {
  type = list(string)
}

variable "kms_key_arn" {
  type = string
}

variable "replica_kms_key_arn" {
  type = string
}

variable "daily_retention_days" {
  type    = number
  default = 35
}

variable "weekly_retention_days" {
  type    = number
  default = 365
}

resource "aws_backup_vault" "primary" {
  name        = "${var.name}-primary"
  kms_key_arn = var.kms_key_arn
}

resource "aws_backup_vault_lock_configuration" "primary" {
  backup_vault_name  = aws_backup_vault.primary.name
  min_retention_days = 7
  max_retention_days = var.weekly_retention_days
}

resource "aws_backup_vault" "replica" {
  provider    = aws.replica
  name        = "${var.name}-replica"
  kms_key_arn = var.replica_kms_key_arn
}

resource "aws_backup_plan" "this" {
  name = var.name

  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.primary.name
    schedule          = "cron(0 1 * * ? *)"
    lifecycle {
      delete_after = var.daily_retention_days
    }
    copy_action {
      destination_vault_arn = aws_backup_vault.replica.arn
      lifecycle {
        delete_after = var.daily_retention_days
      }
    }
  }

  rule {
    rule_name         = "weekly"
    target_vault_name = aws_backup_vault.primary.name
    schedule          = "cron(0 2 ? * SUN *)"
    lifecycle {
      delete_after = var.weekly_retention_days
    }
    copy_action {
      destination_vault_arn = aws_backup_vault.replica.arn
      lifecycle {
        delete_after = var.weekly_retention_days
      }
    }
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "backup" {
  name               = "${var.name}-backup"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy_attachment" "backup" {
  for_each = toset([
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
  ])
  role       = aws_iam_role.backup.name
  policy_arn = each.value
}

resource "aws_backup_selection" "this" {
  name         = var.name
  plan_id      = aws_backup_plan.this.id
  iam_role_arn = aws_iam_role.backup.arn
  resources    = var.resource_arns
}
