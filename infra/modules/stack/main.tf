# One environment of the exchange: every module wired together. The environment root modules
# (infra/environments/*) only choose sizes, regions and names, and hold the remote-state backend.

variable "environment" {
  type = string
}

variable "name" {
  type = string
}

variable "vpc_cidr" {
  type = string
}

variable "availability_zones" {
  type = list(string)
}

variable "kubernetes_version" {
  type    = string
  default = "1.33"
}

variable "eks_public_access_cidrs" {
  type    = list(string)
  default = []
}

variable "node_groups" {
  type = map(object({
    instance_types = list(string)
    min_size       = number
    desired_size   = number
    max_size       = number
    disk_size_gb   = optional(number, 50)
    labels         = optional(map(string), {})
  }))
}

variable "db_instance_class" {
  type = string
}

variable "db_allocated_storage_gb" {
  type = number
}

variable "db_max_allocated_storage_gb" {
  type = number
}

variable "db_read_replica_count" {
  type    = number
  default = 0
}

variable "memorydb_node_type" {
  type = string
}

variable "memorydb_replicas_per_shard" {
  type    = number
  default = 2
}

variable "web_aliases" {
  type = list(string)
}

variable "web_origin_domain_name" {
  type = string
}

variable "web_certificate_arn" {
  type = string
}

variable "monthly_budget_usd" {
  type = number
}

variable "budget_alert_emails" {
  type = list(string)
}

variable "kms_deletion_window_in_days" {
  type    = number
  default = 30
}

variable "replica_region" {
  type = string
}

module "kms" {
  source                  = "../kms"
  name                    = var.name
  deletion_window_in_days = var.kms_deletion_window_in_days
}

# Keys in the disaster-recovery region (backup copies, replicated secrets) and in us-east-1
# (logs of the CLOUDFRONT web ACL).
module "kms_replica" {
  source                  = "../kms"
  name                    = "${var.name}-dr"
  deletion_window_in_days = var.kms_deletion_window_in_days
  providers = {
    aws = aws.replica
  }
}

module "kms_us_east_1" {
  source                  = "../kms"
  name                    = "${var.name}-edge"
  deletion_window_in_days = var.kms_deletion_window_in_days
  providers = {
    aws = aws.us_east_1
  }
}

module "network" {
  source             = "../network"
  name               = var.name
  cidr               = var.vpc_cidr
  availability_zones = var.availability_zones
  kms_key_arn        = module.kms.logs_key_arn
}

module "eks" {
  source              = "../eks"
  name                = var.name
  kubernetes_version  = var.kubernetes_version
  subnet_ids          = module.network.app_subnet_ids
  kms_key_arn         = module.kms.data_key_arn
  logs_kms_key_arn    = module.kms.logs_key_arn
  public_access_cidrs = var.eks_public_access_cidrs
  node_groups         = var.node_groups
}

module "secrets" {
  source              = "../secrets"
  prefix              = "play-chacha/${var.environment}"
  kms_key_arn         = module.kms.secrets_key_arn
  replica_region      = var.replica_region
  replica_kms_key_arn = module.kms_replica.secrets_key_arn
}

module "rds" {
  source                     = "../rds"
  name                       = var.name
  instance_class             = var.db_instance_class
  allocated_storage_gb       = var.db_allocated_storage_gb
  max_allocated_storage_gb   = var.db_max_allocated_storage_gb
  read_replica_count         = var.db_read_replica_count
  subnet_ids                 = module.network.data_subnet_ids
  vpc_id                     = module.network.vpc_id
  allowed_security_group_ids = [module.eks.cluster_security_group_id]
  kms_key_arn                = module.kms.data_key_arn
  replica_kms_key_arn        = module.kms_replica.data_key_arn
  providers = {
    aws         = aws
    aws.replica = aws.replica
  }
}

module "memorydb" {
  source                     = "../memorydb"
  name                       = var.name
  node_type                  = var.memorydb_node_type
  replicas_per_shard         = var.memorydb_replicas_per_shard
  subnet_ids                 = module.network.data_subnet_ids
  vpc_id                     = module.network.vpc_id
  allowed_security_group_ids = [module.eks.cluster_security_group_id]
  kms_key_arn                = module.kms.data_key_arn
  acl_user_password          = module.secrets.redis_password
}

# The application's database role (created once with the master credentials, see
# docs/deployment.md) and the journal's ACL user, with the endpoints the chart needs.
resource "aws_secretsmanager_secret_version" "database" {
  secret_id = module.secrets.database_secret_id
  secret_string = jsonencode({
    username = "chacha_app"
    password = module.secrets.database_password
    host     = module.rds.endpoint
    port     = tostring(module.rds.port)
    name     = "chacha"
  })
}

resource "aws_secretsmanager_secret_version" "redis" {
  secret_id = module.secrets.redis_secret_id
  secret_string = jsonencode({
    username = "chacha"
    password = module.secrets.redis_password
    host     = module.memorydb.endpoint
    port     = tostring(module.memorydb.port)
  })
}

module "ecr" {
  source      = "../ecr"
  kms_key_arn = module.kms.data_key_arn
}

module "waf" {
  source                      = "../waf"
  name                        = var.name
  logs_kms_key_arn            = module.kms.logs_key_arn
  cloudfront_logs_kms_key_arn = module.kms_us_east_1.logs_key_arn
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }
}

module "cdn" {
  source             = "../cdn"
  name               = var.name
  aliases            = var.web_aliases
  origin_domain_name = var.web_origin_domain_name
  certificate_arn    = var.web_certificate_arn
  web_acl_arn        = module.waf.cloudfront_web_acl_arn
}

module "backup" {
  source              = "../backup"
  name                = var.name
  resource_arns       = [module.rds.arn]
  kms_key_arn         = module.kms.data_key_arn
  replica_kms_key_arn = module.kms_replica.data_key_arn
  providers = {
    aws         = aws
    aws.replica = aws.replica
  }
}

module "budget" {
  source            = "../budget"
  name              = var.name
  environment       = var.environment
  monthly_limit_usd = var.monthly_budget_usd
  alert_emails      = var.budget_alert_emails
}

output "cluster_name" {
  value = module.eks.cluster_name
}

output "ecr_repository_urls" {
  value = module.ecr.repository_urls
}

output "regional_web_acl_arn" {
  description = "For the chart's ingress annotation alb.ingress.kubernetes.io/wafv2-acl-arn."
  value       = module.waf.regional_web_acl_arn
}

output "data_cidrs" {
  description = "For the chart's networkPolicy.dataCidrs."
  value       = module.network.data_cidrs
}

output "public_cidrs" {
  description = "For the chart's networkPolicy.loadBalancerCidrs."
  value       = module.network.public_cidrs
}

output "database_endpoint" {
  value = module.rds.endpoint
}

output "journal_endpoint" {
  value = module.memorydb.endpoint
}

output "cdn_domain_name" {
  value = module.cdn.distribution_domain_name
}
