# Remote state for the environments: one S3 bucket (versioned, KMS-encrypted, private, TLS only)
# and one DynamoDB table for state locking. Applied once per AWS account with local state, which
# is then kept in the bucket too (docs/deployment.md, "Bootstrap").

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "state_bucket_name" {
  type = string
}

variable "lock_table_name" {
  type    = string
  default = "play-chacha-terraform-locks"
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Project   = "play-chacha"
      ManagedBy = "terraform"
      Component = "terraform-state"
    }
  }
}

resource "aws_kms_key" "state" {
  description         = "play-chacha Terraform state"
  enable_key_rotation = true
  #checkov:skip=CKV2_AWS_64:The default key policy (account root administers) is the intended policy for the state key
}

resource "aws_s3_bucket" "state" {
  bucket = var.state_bucket_name
  #checkov:skip=CKV_AWS_144:The state bucket is versioned and its content is reproducible from the infrastructure; a cross-region copy adds a second place to secure
  #checkov:skip=CKV2_AWS_62:Nothing consumes events from the state bucket
  #checkov:skip=CKV_AWS_18:Reads and writes of the state are audited by the organisation-wide CloudTrail data events, which live outside this repository, not by S3 server access logs
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    id     = "old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 365
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "state_tls_only" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state_tls_only.json
}

resource "aws_dynamodb_table" "locks" {
  name         = var.lock_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.state.arn
  }

  deletion_protection_enabled = true
}

output "state_bucket" {
  value = aws_s3_bucket.state.bucket
}

output "lock_table" {
  value = aws_dynamodb_table.locks.name
}

output "state_kms_key_arn" {
  value = aws_kms_key.state.arn
}
