# The application's secrets in Secrets Manager, encrypted with the secrets key. Terraform creates
# the entries; the database and Redis passwords are generated here (the state bucket is encrypted
# with KMS and locked down), the Stripe keys are set by the operators out of band
# (docs/runbooks/rotate-secrets.md). The chart's ExternalSecret reads them:
#   <prefix>/database  {username, password, host, port, name}
#   <prefix>/redis     {username, password, host, port}
#   <prefix>/jwt       {secret}
#   <prefix>/stripe    {secret_key, webhook_secret}

variable "prefix" {
  type = string
}

variable "kms_key_arn" {
  type = string
}

variable "recovery_window_in_days" {
  type    = number
  default = 30
}

variable "replica_region" {
  description = "Region the secrets are replicated to, for recovery there."
  type        = string
}

variable "replica_kms_key_arn" {
  description = "KMS key in the replica region."
  type        = string
}

resource "random_password" "database" {
  length  = 40
  special = false
}

resource "random_password" "redis" {
  length  = 40
  special = false
}

# The database and Redis entries are written by the environment's root module once RDS and
# MemoryDB exist (they carry the endpoints); the JWT secret here.
resource "random_password" "jwt" {
  length  = 64
  special = false
}

resource "aws_secretsmanager_secret" "this" {
  for_each = toset(["database", "redis", "jwt", "stripe"])
  #checkov:skip=CKV2_AWS_57:The services read these at start, so rotation is a coordinated procedure (docs/runbooks/rotate-secrets.md) rather than a Lambda that would change a value under running processes; the RDS master password is rotated by RDS itself
  name                    = "${var.prefix}/${each.key}"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  replica {
    region     = var.replica_region
    kms_key_id = var.replica_kms_key_arn
  }
}

resource "aws_secretsmanager_secret_version" "jwt" {
  secret_id     = aws_secretsmanager_secret.this["jwt"].id
  secret_string = jsonencode({ secret = random_password.jwt.result })
  lifecycle {
    ignore_changes = [secret_string]
  }
}

output "secret_arns" {
  value = { for key, secret in aws_secretsmanager_secret.this : key => secret.arn }
}

output "redis_secret_id" {
  value = aws_secretsmanager_secret.this["redis"].id
}

output "database_secret_id" {
  value = aws_secretsmanager_secret.this["database"].id
}

output "database_password" {
  value     = random_password.database.result
  sensitive = true
}

output "redis_password" {
  value     = random_password.redis.result
  sensitive = true
}
