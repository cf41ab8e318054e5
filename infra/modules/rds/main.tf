# PostgreSQL, the money of record: Multi-AZ (a synchronous standby in another zone), encrypted
# with the data key, TLS required, automated backups with point-in-time recovery (restore to any
# second of the retention window; RPO of minutes), deletion protection, a final snapshot,
# Performance Insights and enhanced monitoring, and the automated backups replicated to a second
# region for disaster recovery.

variable "name" {
  type = string
}

variable "engine_version" {
  type    = string
  default = "17.6"
}

variable "instance_class" {
  type = string
}

variable "allocated_storage_gb" {
  type = number
}

variable "max_allocated_storage_gb" {
  type = number
}

variable "subnet_ids" {
  type = list(string)
}

variable "vpc_id" {
  type = string
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to connect (the EKS cluster's)."
  type        = list(string)
}

variable "kms_key_arn" {
  type = string
}

variable "backup_retention_days" {
  type    = number
  default = 35
}

variable "replica_kms_key_arn" {
  description = "KMS key in the disaster-recovery region for the replicated automated backups."
  type        = string
}

variable "master_username" {
  type    = string
  default = "chacha_admin"
}

variable "read_replica_count" {
  description = "Read replicas for read-heavy catalog and history queries (used once the services read from them)."
  type        = number
  default     = 0
}

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_security_group" "this" {
  name        = "${var.name}-postgres"
  description = "PostgreSQL from the EKS cluster only"
  vpc_id      = var.vpc_id

  ingress {
    description     = "PostgreSQL from the cluster"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = var.allowed_security_group_ids
  }
}

resource "aws_db_parameter_group" "this" {
  name   = var.name
  family = "postgres${split(".", var.engine_version)[0]}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  parameter {
    name  = "log_min_duration_statement"
    value = "250"
  }
  parameter {
    name  = "log_connections"
    value = "1"
  }
  parameter {
    name  = "log_disconnections"
    value = "1"
  }
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name               = "${var.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "this" {
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_name  = "chacha"
  username = var.master_username
  # RDS keeps the master password in Secrets Manager and rotates it; the application's own
  # credentials are in the secrets module.
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  multi_az               = true
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this.name

  backup_retention_period   = var.backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name}-final"

  auto_minor_version_upgrade          = true
  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["postgresql", "upgrade"]

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 30
  monitoring_role_arn                   = aws_iam_role.monitoring.arn
}

resource "aws_db_instance" "replica" {
  count                      = var.read_replica_count
  identifier                 = "${var.name}-read-${count.index}"
  replicate_source_db        = aws_db_instance.this.identifier
  multi_az                   = true
  instance_class             = var.instance_class
  storage_encrypted          = true
  kms_key_id                 = var.kms_key_arn
  vpc_security_group_ids     = [aws_security_group.this.id]
  parameter_group_name       = aws_db_parameter_group.this.name
  publicly_accessible        = false
  auto_minor_version_upgrade = true
  copy_tags_to_snapshot      = true
  skip_final_snapshot        = true
  deletion_protection        = true

  iam_database_authentication_enabled   = true
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 30
  monitoring_role_arn                   = aws_iam_role.monitoring.arn
}

# Cross-region copies: the automated backups (snapshots and transaction logs, so point-in-time
# restore works in the second region too), created through the provider of that region.
resource "aws_db_instance_automated_backups_replication" "this" {
  provider               = aws.replica
  source_db_instance_arn = aws_db_instance.this.arn
  kms_key_id             = var.replica_kms_key_arn
  retention_period       = var.backup_retention_days
}

output "endpoint" {
  value = aws_db_instance.this.address
}

output "port" {
  value = aws_db_instance.this.port
}

output "arn" {
  value = aws_db_instance.this.arn
}

output "security_group_id" {
  value = aws_security_group.this.id
}

output "replica_endpoints" {
  value = aws_db_instance.replica[*].address
}
